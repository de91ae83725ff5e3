package hub

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/hub/config"
	"github.com/pantau/pantau/hub/internal/fixture"
	"github.com/pantau/pantau/hub/store"
)

// TestGrafanaDashboard checks configs/grafana/hub.json against the hub's
// real exposition: every metric it queries exists, every pantau_hub_
// family is charted, and every query parses (promtool).
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../configs/grafana/hub.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Type    string
			Targets []struct{ Expr string }
		}
		Templating struct{ List []struct{ Definition string } }
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	// A hub with one camera's counts stored, so the store gauges exist.
	cfg, _ := config.Parse(nil)
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	_, p := fixture.Wire(fixture.Counts("s", "a", "c", now, time.Minute, 2, 1, 0), "", 1)
	if _, err := st.Apply(context.Background(), []store.Msg{{ID: event.NewID(), Schema: event.SchemaCounts, Site: "s", Agent: "a", Camera: "c", Seq: 1, TS: now, Recv: now, Payload: p}}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h := New(cfg, st, reg, nil)
	reg.MustRegister(h.Collector())
	h.m.messages.WithLabelValues("s", event.SchemaCounts)
	h.m.invalid.WithLabelValues("s", ReasonJSON)
	h.m.duplicates.WithLabelValues("s")
	h.m.lostSpool.WithLabelValues("s")
	h.m.gaps.WithLabelValues("s")
	h.m.lag.WithLabelValues("s").Observe(0.2)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
		have[mf.GetName()+"_bucket"] = true
	}
	queried := map[string]bool{}
	var exprs []string
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	for _, e := range exprs {
		for _, n := range regexp.MustCompile(`\bpantau_hub_[a-z_]+\b`).FindAllString(e, -1) {
			queried[strings.TrimSuffix(n, "_bucket")] = true
			if !have[n] {
				t.Errorf("the dashboard queries %s, which the hub does not expose", n)
			}
		}
	}
	for _, mf := range mfs {
		if n := mf.GetName(); strings.HasPrefix(n, "pantau_hub_") && !queried[n] {
			t.Errorf("%s is not on the dashboard", n)
		}
	}
	tool, err := filepath.Abs("../.tools/bin/promtool")
	if _, serr := os.Stat(tool); err != nil || serr != nil {
		if tool, err = exec.LookPath("promtool"); err != nil {
			t.Fatal("promtool not found in .tools/bin or PATH: run scripts/setup.sh")
		}
	}
	r := strings.NewReplacer("$__rate_interval", "5m", "$job", "hub", "$site", "s1")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: hub\n    rules:\n")
	for i, e := range exprs[:len(exprs)-len(d.Templating.List)] {
		q, _ := json.Marshal(r.Replace(e))
		rules.WriteString("      - record: hub:q" + strconv.Itoa(i) + "\n        expr: " + string(q) + "\n")
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(path, []byte(rules.String()), 0o600)
	if out, err := exec.Command(tool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
