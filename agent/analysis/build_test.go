package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pantau/pantau/agent/config"
)

func TestBuildAnalyzersChains(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{"motion only", `{name: c, url: "rtsp://h/c"}`, []string{"view", "motion"}},
		{"lines need detector (the shared dnn by default) and tracker",
			`{name: c, url: "rtsp://h/c", lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}`,
			[]string{"view", "motion", "detect_dnn", "track", "lines"}},
		{"blob detector on request",
			`{name: c, url: "rtsp://h/c", detector: {type: blob}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}`,
			[]string{"view", "motion", "detect_blob", "track", "lines"}},
		{"zones with hog and tamper",
			`{name: c, url: "rtsp://h/c", detector: {type: hog}, tamper: {enabled: true}, zones: [{name: z, points: [[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]]}]}`,
			[]string{"view", "tamper", "motion", "detect_hog", "track", "zones"}},
		{"motion off still feeds the detector",
			`{name: c, url: "rtsp://h/c", motion: {enabled: false}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}`,
			[]string{"view", "motion", "detect_dnn", "track", "lines"}},
		{"self-test dnn from the shipped manifest",
			`{name: c, url: "rtsp://h/c", motion: {enabled: false}, detector: {type: dnn, model: ../../models/pantau-selftest.onnx}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}`,
			[]string{"view", "detect_dnn", "track", "lines"}},
		{"the default COCO model by name (made at set-up)",
			`{name: c, url: "rtsp://h/c", motion: {enabled: false}, detector: {type: dnn, model: ssd_mobilenet_v2_coco, models_dir: ../../models}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}`,
			[]string{"view", "detect_dnn", "track", "lines"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte("site: s\ncameras:\n  - " + c.yaml + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			as, err := Build(cfg.Cameras[0], Options{Model: cfg.Detector.Model})
			if err != nil {
				t.Fatal(err)
			}
			defer Close(as)
			var got []string
			for _, a := range as {
				got = append(got, a.Name())
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("chain %v, want %v", got, c.want)
			}
		})
	}
}

// A model that is missing from the manifest or does not match its
// checksum is refused with an error naming it, never loaded (OpenCV would
// abort the process on a bad file).
func TestBuildAnalyzersRefusesUnlistedOrAlteredModels(t *testing.T) {
	dir := t.TempDir()
	manifest, _ := os.ReadFile("../../models/manifest.json")
	model, _ := os.ReadFile("../../models/pantau-selftest.onnx")
	os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644)
	os.WriteFile(filepath.Join(dir, "pantau-selftest.onnx"), append(model, 0), 0o644) // altered
	os.WriteFile(filepath.Join(dir, "other.onnx"), model, 0o644)
	for _, c := range []struct{ model, want string }{
		{filepath.Join(dir, "pantau-selftest.onnx"), "sha256"},
		{filepath.Join(dir, "other.onnx"), "not listed"},
		{filepath.Join(t.TempDir(), "nothing.onnx"), "manifest.json"},
	} {
		cam := config.Camera{Name: "c", Detector: config.DetectorConfig{Type: config.DetectorDNN, Model: c.model}}
		cam.Lines = []config.Line{{Name: "l", Points: []config.Point{{X: 0.5, Y: 0.1}, {X: 0.5, Y: 0.9}}}}
		config.FillCameraDefaults(&cam)
		as, err := Build(cam, Options{})
		if err == nil {
			Close(as)
			t.Errorf("%s: loaded, want an error", c.model)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.model, err, c.want)
		}
	}
}
