package web

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Alert is one open alert of /api/v1/alerts.
type Alert struct {
	// Kind is tamper, camera_offline, agent_offline or seq_gap.
	Kind   string    `json:"kind"`
	Site   string    `json:"site"`
	Region string    `json:"region"`
	Agent  string    `json:"agent"`
	Camera string    `json:"camera,omitempty"`
	Since  time.Time `json:"since"`
	Detail string    `json:"detail"`
}

func (s *server) openAlerts(r *http.Request) ([]Alert, error) {
	now := s.Now()
	cfg := s.Config
	var out []Alert
	add := func(kind, site, agent, camera string, since time.Time, detail string) {
		out = append(out, Alert{Kind: kind, Site: site, Region: cfg.Site(site).Region, Agent: agent, Camera: camera, Since: since.UTC(), Detail: detail})
	}
	tam, err := s.Data.OpenTamper(r.Context())
	if err != nil {
		return nil, err
	}
	for _, t := range tam {
		add("tamper", t.Site, t.Agent, t.Camera, t.Since, t.Kind)
	}
	cams, err := s.Data.Cameras(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range cams {
		switch {
		case now.Sub(c.LastSeen) > cfg.Alerts.CameraOffline:
			add("camera_offline", c.Site, c.Agent, c.Camera, c.LastSeen, "nothing received")
		case c.State != "" && c.State != "online" && c.State != "degraded" && now.Sub(c.StatusTS) > cfg.Alerts.CameraOffline:
			add("camera_offline", c.Site, c.Agent, c.Camera, c.StatusTS, "state "+c.State)
		}
		if len(c.Missing) > 0 && now.Sub(c.MissingSince) > cfg.Alerts.SeqGap {
			var n int64
			for _, m := range c.Missing {
				n += m[1] - m[0] + 1
			}
			add("seq_gap", c.Site, c.Agent, c.Camera, c.MissingSince, fmt.Sprintf("%s missing in %s", plural(n, "message"), plural(len(c.Missing), "range")))
		}
	}
	ags, err := s.Data.Agents(r.Context())
	if err != nil {
		return nil, err
	}
	for _, a := range ags {
		switch {
		case now.Sub(a.LastSeen) > cfg.Alerts.AgentOffline:
			add("agent_offline", a.Site, a.Agent, "", a.LastSeen, "nothing received")
		case a.State == "offline" && now.Sub(a.StatusTS) > cfg.Alerts.AgentOffline:
			add("agent_offline", a.Site, a.Agent, "", a.StatusTS, "agent said offline")
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, nil
}

func (s *server) alerts(w http.ResponseWriter, r *http.Request) {
	a, err := s.openAlerts(r)
	if err != nil {
		s.fail(w, 500, err)
		return
	}
	if a == nil {
		a = []Alert{}
	}
	s.json(w, a)
}

// todayRow compares today's counts so far with the same span yesterday and
// a week ago (up to the end of the same hour).
type todayRow struct {
	Site      string   `json:"site"`
	Rule      string   `json:"rule"`
	Kind      string   `json:"kind"`
	Class     string   `json:"class"`
	In        int64    `json:"in"`
	Out       int64    `json:"out"`
	Yesterday [2]int64 `json:"yesterday"`
	LastWeek  [2]int64 `json:"last_week"`
}

func (s *server) today(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	mid := s.midnight(now)
	rows := map[[4]string]*todayRow{}
	var keys [][4]string
	for i, back := range []time.Duration{0, 24 * time.Hour, 7 * 24 * time.Hour} {
		tot, err := s.Data.Totals(r.Context(), mid.Add(-back), now.Add(-back))
		if err != nil {
			s.fail(w, 500, err)
			return
		}
		for _, t := range tot {
			k := [4]string{t.Site, t.Rule, t.Kind, t.Class}
			row := rows[k]
			if row == nil {
				row = &todayRow{Site: t.Site, Rule: t.Rule, Kind: t.Kind, Class: t.Class}
				rows[k] = row
				keys = append(keys, k)
			}
			switch i {
			case 0:
				row.In, row.Out = t.In, t.Out
			case 1:
				row.Yesterday = [2]int64{t.In, t.Out}
			case 2:
				row.LastWeek = [2]int64{t.In, t.Out}
			}
		}
	}
	out := []todayRow{}
	sort.Slice(keys, func(i, j int) bool {
		for x := range 4 {
			if keys[i][x] != keys[j][x] {
				return keys[i][x] < keys[j][x]
			}
		}
		return false
	})
	for _, k := range keys {
		out = append(out, *rows[k])
	}
	s.json(w, map[string]any{"since": mid.UTC(), "now": now.UTC(), "rows": out})
}

// plural writes n and noun, with an s unless n is 1.
func plural[N int | int64 | uint64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
