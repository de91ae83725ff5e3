package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/hub/config"
	"github.com/pantau/pantau/hub/store"
)

// cameraView is one element of /api/v1/cameras.
type cameraView struct {
	store.Camera
	Region string `json:"region"`
	Online bool   `json:"online"`
	Lag    any    `json:"lag,omitempty"`
}

func (s *server) cameraViews(r *http.Request) ([]cameraView, error) {
	cams, err := s.Data.Cameras(r.Context())
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]cameraView, 0, len(cams))
	for _, c := range cams {
		v := cameraView{Camera: c, Region: s.Config.Site(c.Site).Region}
		v.Online = c.State == "online" && now.Sub(c.LastSeen) < s.Config.Alerts.CameraOffline
		if s.Lag != nil {
			if l, ok := s.Lag(c.Site, c.Agent, c.Camera); ok {
				v.Lag = l
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *server) cameras(w http.ResponseWriter, r *http.Request) {
	v, err := s.cameraViews(r)
	if err != nil {
		s.fail(w, 500, err)
		return
	}
	site := r.URL.Query().Get("site")
	res := v[:0]
	for _, c := range v {
		if site == "" || c.Site == site {
			res = append(res, c)
		}
	}
	s.json(w, res)
}

func (s *server) agents(w http.ResponseWriter, r *http.Request) {
	ags, err := s.Data.Agents(r.Context())
	if err != nil {
		s.fail(w, 500, err)
		return
	}
	type view struct {
		store.Agent
		Online bool `json:"online"`
	}
	out := []view{}
	for _, a := range ags {
		out = append(out, view{a, a.State == "online" && s.Now().Sub(a.LastSeen) < s.Config.Alerts.AgentOffline})
	}
	s.json(w, out)
}

// siteView is one element of /api/v1/sites.
type siteView struct {
	config.Site
	Listed        bool  `json:"listed"`
	Agents        int   `json:"agents"`
	AgentsOnline  int   `json:"agents_online"`
	Cameras       int   `json:"cameras"`
	CamerasOnline int   `json:"cameras_online"`
	Missing       int64 `json:"missing"`
}

func (s *server) siteViews(r *http.Request) ([]siteView, error) {
	cams, err := s.cameraViews(r)
	if err != nil {
		return nil, err
	}
	ags, err := s.Data.Agents(r.Context())
	if err != nil {
		return nil, err
	}
	by := map[string]*siteView{}
	var order []string
	get := func(name string) *siteView {
		if v, ok := by[name]; ok {
			return v
		}
		site := s.Config.Site(name)
		v := &siteView{Site: site, Listed: site.Region != config.Unassigned}
		by[name] = v
		order = append(order, name)
		return v
	}
	for _, st := range s.Config.Sites {
		get(st.Name)
	}
	for _, a := range ags {
		v := get(a.Site)
		v.Agents++
		if a.State == "online" && s.Now().Sub(a.LastSeen) < s.Config.Alerts.AgentOffline {
			v.AgentsOnline++
		}
	}
	for _, c := range cams {
		v := get(c.Site)
		v.Cameras++
		if c.Online {
			v.CamerasOnline++
		}
		for _, m := range c.Missing {
			v.Missing += m[1] - m[0] + 1
		}
	}
	out := make([]siteView, 0, len(order))
	for _, n := range order {
		out = append(out, *by[n])
	}
	sort.SliceStable(out, func(i, j int) bool {
		// Regions by name, sites not in hub.yaml last.
		if ui, uj := out[i].Region == config.Unassigned, out[j].Region == config.Unassigned; ui != uj {
			return uj
		}
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func (s *server) sites(w http.ResponseWriter, r *http.Request) {
	v, err := s.siteViews(r)
	if err != nil {
		s.fail(w, 500, err)
		return
	}
	s.json(w, map[string]any{"province": s.Config.Province, "timezone": s.Config.Timezone, "sites": v})
}

// parseTime reads an RFC 3339 time or a date (midnight in the hub's zone).
func (s *server) parseTime(v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, s.Config.Location()); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 time or a date YYYY-MM-DD, got %q", v)
}

// parseStep reads a Go duration ("10m", "1h") or days ("1d", "7d").
func parseStep(v string) (time.Duration, error) {
	if v == "" {
		return time.Hour, nil
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("step %q: want e.g. 10m, 1h or 1d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("step %q: want e.g. 10m, 1h or 1d", v)
	}
	return d, nil
}

func (s *server) midnight(t time.Time) time.Time {
	t = t.In(s.Config.Location())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func (s *server) counts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.Now()
	from, err := s.parseTime(q.Get("from"), s.midnight(now))
	if err != nil {
		s.fail(w, 400, fmt.Errorf("from: %w", err))
		return
	}
	to, err := s.parseTime(q.Get("to"), now)
	if err != nil {
		s.fail(w, 400, fmt.Errorf("to: %w", err))
		return
	}
	step, err := parseStep(q.Get("step"))
	if err != nil {
		s.fail(w, 400, err)
		return
	}
	series, err := s.Data.Counts(r.Context(), store.SeriesQuery{Site: q.Get("site"), Camera: q.Get("camera"), Rule: q.Get("rule"), From: from, To: to, Step: step})
	if err != nil {
		s.fail(w, 400, err)
		return
	}
	if q.Get("format") == "csv" {
		writeCSV(w, series)
		return
	}
	type point struct {
		T       time.Time `json:"t"`
		In      *int64    `json:"in,omitempty"`
		Out     *int64    `json:"out,omitempty"`
		Entries *int64    `json:"entries,omitempty"`
		Exits   *int64    `json:"exits,omitempty"`
	}
	type ser struct {
		Site, Camera, Rule, Kind, Class string
		Points                          []point `json:"points"`
	}
	out := make([]map[string]any, 0, len(series))
	for _, sr := range series {
		pts := make([]point, 0, len(sr.Points))
		for _, p := range sr.Points {
			in, o := p.In, p.Out
			if sr.Kind == store.KindZone {
				pts = append(pts, point{T: p.T, Entries: &in, Exits: &o})
			} else {
				pts = append(pts, point{T: p.T, In: &in, Out: &o})
			}
		}
		out = append(out, map[string]any{"site": sr.Site, "camera": sr.Camera, "rule": sr.Rule, "kind": sr.Kind, "class": sr.Class, "points": pts})
	}
	s.json(w, map[string]any{"from": from.UTC(), "to": to.UTC(), "step": step.String(), "series": out})
}

// writeCSV writes one row per series and bucket: in/out for lines,
// entries/exits for zones.
func writeCSV(w http.ResponseWriter, series []store.Series) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="pantau-counts.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "site", "camera", "rule", "kind", "class", "in_or_entries", "out_or_exits"}) //nolint:errcheck // Flush reports
	for _, sr := range series {
		for _, p := range sr.Points {
			cw.Write([]string{p.T.UTC().Format(time.RFC3339), sr.Site, sr.Camera, sr.Rule, sr.Kind, sr.Class, //nolint:errcheck // as above
				strconv.FormatInt(p.In, 10), strconv.FormatInt(p.Out, 10)})
		}
	}
	cw.Flush()
}

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := s.parseTime(q.Get("from"), time.Time{})
	if err != nil {
		s.fail(w, 400, fmt.Errorf("from: %w", err))
		return
	}
	to, err := s.parseTime(q.Get("to"), time.Time{})
	if err != nil {
		s.fail(w, 400, fmt.Errorf("to: %w", err))
		return
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			s.fail(w, 400, fmt.Errorf("limit: want a positive integer, got %q", v))
			return
		}
	}
	evs, err := s.Data.Events(r.Context(), store.EventQuery{Site: q.Get("site"), Camera: q.Get("camera"), Type: q.Get("type"), From: from, To: to, Limit: limit})
	if err != nil {
		s.fail(w, 500, err)
		return
	}
	s.json(w, evs)
}
