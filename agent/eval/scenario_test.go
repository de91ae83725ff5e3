package eval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/scenario"
)

const (
	scenarioConfig = "../../testdata/scenarios/standard.yaml"
	scenarioTruth  = "../../testdata/scenarios/standard.csv"
)

// runCamera plays clip through the analyzers analysis.Build makes for
// the camera in cfgPath, the way `pantau eval` does.
func runCamera(t *testing.T, cfgPath, camName, clip, annotate string) *Output {
	t.Helper()
	before := matCount()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var cam *config.Camera
	for i := range cfg.Cameras {
		if cfg.Cameras[i].Name == camName {
			cam = &cfg.Cameras[i]
		}
	}
	if cam == nil {
		t.Fatalf("%s: no camera %s", cfgPath, camName)
	}
	as, err := analysis.Build(*cam, analysis.Options{Model: cfg.Detector.Model})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		analysis.Close(as)
		if n := matCount() - before; n != 0 {
			t.Errorf("%d Mats leaked by the analysis chain", n)
		}
	}()
	rc := RunConfig{Clip: clip, Annotate: annotate, Pipeline: CameraPipeline(*cam), Overlay: CameraOverlay(*cam)}
	for _, a := range as {
		rc.Analyzers = append(rc.Analyzers, a)
	}
	out, err := Run(context.Background(), rc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStandardScenario is the end-to-end accuracy test: the standard
// scenario clip (vision/scenario) through the real decoder, motion, blob
// detector, tracker, lines, zones and tamper analyzers.
func TestStandardScenario(t *testing.T) {
	s, lines, zones := scenario.Standard()
	truth := scenario.Truth(s, lines, zones, 3*time.Second) // tamper hold: 3s in standard.yaml

	// The committed truth file and config describe this same scenario.
	var csv strings.Builder
	if err := scenario.WriteTruthCSV(&csv, truth); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(scenarioTruth); err != nil || string(b) != csv.String() {
		t.Fatalf("%s is out of date (err %v); it should be:\n%s", scenarioTruth, err, csv.String())
	}
	cfg, err := config.Load(scenarioConfig)
	if err != nil {
		t.Fatal(err)
	}
	cam := cfg.Cameras[0]
	if len(cam.Lines) != 1 || !samePoints(cam.Lines[0].Points, lines[0].Points) || len(cam.Zones) != 1 ||
		!samePoints(cam.Zones[0].Points, zones[0].Points) || cam.Zones[0].LoiterAfter != zones[0].LoiterAfter ||
		strings.Join(cam.Zones[0].Intrusion.Schedule, ";") != zones[0].Armed {
		t.Fatalf("%s does not match scenario.Standard's lines and zones", scenarioConfig)
	}

	// PANTAU_SCENARIO_OUT keeps the clip and the annotated video (for
	// docs/accuracy.md and for looking at them); by default they go to a
	// temporary directory.
	dir := os.Getenv("PANTAU_SCENARIO_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	clip := filepath.Join(dir, "standard.mp4")
	bg, err := scenario.MedianBackground("../../testdata/vtest.avi", s.Width, s.Height, 40)
	if err != nil {
		t.Fatal(err)
	}
	r, err := scenario.NewRenderer(s, bg)
	bg.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := scenario.Write(context.Background(), clip, r); err != nil {
		t.Fatal(err)
	}
	ann := filepath.Join(dir, "annotated.mp4")
	out := runCamera(t, scenarioConfig, "scenario", clip, ann)
	if fi, err := os.Stat(ann); err != nil || fi.Size() < 10000 {
		t.Errorf("annotated video: %v %v", fi, err)
	}
	want, err := ReadTruth(scenarioTruth)
	if err != nil {
		t.Fatal(err)
	}
	rep := Score(want, out.Counted, DefaultTolerance)
	for _, rs := range rep.Rules {
		t.Logf("%-6s %-8s truth %d counted %d P %.2f R %.2f", rs.Rule, rs.Direction, rs.Truth, rs.Counted, rs.Precision, rs.Recall)
		// Every true event is found within ±1 s (counted events come
		// about 0.2 s after the truth: the anchor must clear the 0.02
		// hysteresis band, and frames are 0.2 s apart at 5 fps).
		if len(rs.Misses) > 0 {
			t.Errorf("%s %s: missed %+v", rs.Rule, rs.Direction, rs.Misses)
		}
		for _, fa := range rs.FalseAlarms {
			// Tolerance: while the lens goes out of focus (94–100 s) the
			// blur grows gradually, so no single frame is a whole-picture
			// change (fgmask restarts its model on those, which keeps the
			// uncovering at 87 s clean); edges of the textured van and
			// kerb then make one short track in the bench zone. Lines and
			// tamper must have no false alarm anywhere; zones none outside
			// the defocus.
			if rs.Rule == "bench" && fa.Time >= 94 && fa.Time <= 100 {
				continue
			}
			t.Errorf("%s %s: false alarm at %.1f s (track %d)", rs.Rule, rs.Direction, fa.Time, fa.Track)
		}
	}
	// Exact line counts, and nothing was counted twice.
	n := map[string]int{}
	for _, c := range out.Counted {
		n[c.Rule+" "+c.Direction]++
	}
	if n["mid in"] != 5 || n["mid out"] != 2 || n["tamper covered"] != 1 || n["tamper defocus"] != 1 {
		t.Errorf("counts %v, want mid in 5, mid out 2, one covered, one defocus", n)
	}
	// Tamper clears after its cause ends (cover 82–87 s, blur 94–100 s,
	// cleared 3 s hold later, ±0.2 s for the frame rate).
	var cleared []string
	for _, r := range out.Records {
		if r.Type == vision.EventTamper && r.State == "cleared" {
			cleared = append(cleared, r.Kind)
			end := map[string]float64{"covered": 87, "defocus": 100}[r.Kind]
			if r.Time < end+3-0.01 || r.Time > end+3+0.21 {
				t.Errorf("%s cleared at %.2f s, want %.0f s", r.Kind, r.Time, end+3)
			}
		}
	}
	if strings.Join(cleared, " ") != "covered defocus" {
		t.Errorf("cleared %v", cleared)
	}
}

func samePoints(a []config.Point, b []vision.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if vision.Point(a[i]) != b[i] {
			return false
		}
	}
	return true
}
