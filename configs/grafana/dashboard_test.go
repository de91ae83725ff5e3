// Package grafana holds the Grafana dashboard for Pantau's metrics; this
// test checks that every metric it queries exists in the agent's real
// exposition and that every query parses as PromQL.
package grafana

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantau/pantau/agent/telemetry"
)

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// exposition returns the metric family names a running agent exposes.
func exposition(t *testing.T) map[string]bool {
	reg := prometheus.NewRegistry()
	m, err := telemetry.New(reg, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := m.Camera("cam1")
	c.FrameDropped("queue_full")
	c.FrameAnalysed("motion", time.Millisecond)
	c.LineCrossing("mid", "in", "person")
	c.ZoneOccupancy("plaza", "person", 1)
	m.MQTT().Published("event")
	m.MQTT().PublishFailed("event")
	m.MQTT().SpoolDropped("full", 1)
	m.Detector().Detected("person", 1)
	m.Detector().Skipped("cam1", "budget")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
		}
	}
	return names
}

var metricRE = regexp.MustCompile(`\b(?:pantau|process|go)_[a-z0-9_]+\b`)

func load(t *testing.T) dashboard {
	b, err := os.ReadFile("pantau.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("pantau.json: %v", err)
	}
	return d
}

func TestDashboardMetricsExist(t *testing.T) {
	d := load(t)
	have := exposition(t)
	queried := map[string]bool{}
	ids := map[int]bool{}
	var exprs []string
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	for _, e := range exprs {
		for _, name := range metricRE.FindAllString(e, -1) {
			queried[name] = true
			if !have[name] {
				t.Errorf("dashboard queries %s, which the agent does not expose (in %q)", name, e)
			}
		}
	}
	// Every pantau metric family should be on the dashboard somewhere.
	var missing []string
	for name := range have {
		if strings.HasPrefix(name, "pantau_") && !queried[name] && !strings.HasSuffix(name, "_bucket") &&
			!strings.HasSuffix(name, "_sum") && !strings.HasSuffix(name, "_count") && !queried[name+"_bucket"] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics not on the dashboard: %v", missing)
	}
}

// TestDashboardPromQL parses every query with promtool (as recording rules,
// the one promtool command that parses PromQL offline), after replacing
// Grafana's variables with sample values.
func TestDashboardPromQL(t *testing.T) {
	tool, err := filepath.Abs("../../.tools/bin/promtool")
	if err == nil {
		_, err = os.Stat(tool)
	}
	if err != nil {
		if tool, err = exec.LookPath("promtool"); err != nil {
			t.Fatal("promtool not found in .tools/bin or PATH: run scripts/setup.sh")
		}
	}
	d := load(t)
	r := strings.NewReplacer("$__rate_interval", "5m", "$instance", "box-1:9090", "$camera", "cam1", "$job", "pantau")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			n++
			q, _ := json.Marshal(r.Replace(tg.Expr)) // a JSON string is a valid YAML string
			rules.WriteString("      - record: dashboard:q" + strconv.Itoa(n) + "\n        expr: " + string(q) + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	if n < 20 {
		t.Errorf("only %d queries checked", n)
	}
}
