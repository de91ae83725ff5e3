package detect

import (
	"bytes"
	"flag"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/pantau/pantau/vision"
)

var updateModels = flag.Bool("update-models", false, "rewrite models/pantau-selftest.onnx from the test head")

const manifestPath = "../../models/manifest.json"

// TestShippedManifest checks models/manifest.json, every model file shipped
// beside it, and runs the self-test model through the real loader.
func TestShippedManifest(t *testing.T) {
	checkMats(t)
	const selftest = "../../models/pantau-selftest.onnx"
	want := headBytes(FormatYOLOv5)
	if *updateModels {
		if err := os.WriteFile(selftest, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s, sha256 %s: put it in the manifest", selftest, fileSHA(t, selftest))
	}
	got, err := os.ReadFile(selftest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the test head: regenerate with go test -run TestShippedManifest -update-models", selftest)
	}
	m, err := ReadManifest(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, mi := range m.Models {
		cfg, err := m.DNNConfig(mi.Name)
		if mi.SHA256 == "" {
			if err == nil || !strings.Contains(err.Error(), "sha256") {
				t.Errorf("%s: no checksum, but DNNConfig gives err %v", mi.Name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", mi.Name, err)
		}
		if _, err := os.Stat(cfg.Model); err != nil {
			t.Errorf("%s: has a checksum but no file in models/ (the default model is made by scripts/setup.sh): %v", mi.Name, err)
			continue
		}
		d, err := NewDNN(cfg)
		if err != nil {
			t.Fatalf("%s: %v", mi.Name, err)
		}
		if mi.Name == "pantau-selftest" {
			f := testFrame(255, nil)
			var r vision.Result
			err = d.Analyze(f, &r)
			f.Close()
			if err != nil || len(r.Detections) != 2 || r.Detections[0].Class != "person" || math.Abs(r.Detections[0].Score-0.9) > 2e-3 {
				t.Errorf("self-test model on a white frame: err %v, detections %+v; want a person (0.9) and a car", err, r.Detections)
			}
		}
		d.Close()
	}
	if _, err := m.DNNConfig("nope"); err == nil {
		t.Error("unknown model name: no error")
	}
}

func TestManifestErrors(t *testing.T) {
	const ok = `{"name":"a","file":"a.onnx","format":"yolov5","input":[64,64],"classes":["x"],"sha256":"","licence":"l","source":"s"`
	cases := []struct {
		name, json, want string
	}{
		{"unknown key", `{"schema":1,"models":[` + ok + `,"colour":true}]}`, "unknown field"},
		{"schema", `{"schema":2,"models":[]}`, "schema"},
		{"duplicate", `{"schema":1,"models":[` + ok + `},` + ok + `}]}`, `models[1].name: "a" listed twice`},
		{"format", `{"schema":1,"models":[` + strings.Replace(ok, "yolov5", "yolo", 1) + `}]}`, "models[0].format"},
		{"input", `{"schema":1,"models":[` + strings.Replace(ok, "[64,64]", "[0,64]", 1) + `}]}`, "models[0].input"},
		{"sha", `{"schema":1,"models":[` + strings.Replace(ok, `"sha256":""`, `"sha256":"abc"`, 1) + `}]}`, "models[0].sha256"},
		{"classes", `{"schema":1,"models":[` + strings.Replace(ok, `"classes":["x"]`, `"classes":[]`, 1) + `}]}`, "models[0].classes"},
		{"licence", `{"schema":1,"models":[` + strings.Replace(ok, `"licence":"l"`, `"licence":""`, 1) + `}]}`, "licence"},
		{"anchors for yolo", `{"schema":1,"models":[` + ok + `,"anchors":"a.anchors","anchors_sha256":"` + strings.Repeat("a", 64) + `"}]}`, "models[0].anchors: only for format ssd"},
		{"anchors without checksum", `{"schema":1,"models":[` + strings.Replace(ok, "yolov5", "ssd", 1) + `,"anchors":"a.anchors"}]}`, "models[0].anchors_sha256"},
	}
	for _, c := range cases {
		p := writeFile(t, "manifest.json", []byte(c.json))
		if _, err := ReadManifest(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
