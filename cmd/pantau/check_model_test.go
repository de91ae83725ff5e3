package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckDefaultModel: `pantau check` loads the default COCO model by
// name, and refuses it — naming the model and the shape it must have —
// when its file is missing, altered, or a model of another shape.
func TestCheckDefaultModel(t *testing.T) {
	src := "../../models"
	onnx, err := os.ReadFile(filepath.Join(src, "ssd_mobilenet_v2_coco.onnx"))
	if err != nil {
		t.Fatalf("%v: the default model is made at set-up: run scripts/setup.sh (or scripts/models.sh)", err)
	}
	manifest, err := os.ReadFile(filepath.Join(src, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	selftest, err := os.ReadFile(filepath.Join(src, "pantau-selftest.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	altered := append([]byte(nil), onnx...)
	altered[len(altered)/2] ^= 1
	const expected = "expected input 1×3×300×300, outputs boxes [1, 1917, 4] and scores [1, 1917, 7]"
	cases := []struct {
		name     string
		model    []byte // nil: no file
		manifest func(string) string
		want     []string // in check's output; none means check passes
	}{
		{"good", onnx, nil, nil},
		{"missing", nil, nil, []string{"model ssd_mobilenet_v2_coco", "no such file", expected}},
		{"altered", altered, nil, []string{"model ssd_mobilenet_v2_coco", "sha256", expected}},
		// A model of another shape, listed with its own checksum: it
		// loads, and the probe on a grey picture finds its outputs wrong.
		{"wrong shape", selftest, func(m string) string {
			return strings.Replace(m, sum(onnx), sum(selftest), 1)
		}, []string{"model ssd_mobilenet_v2_coco", "want boxes [1, 1917, 4] and scores [1, 1917, 7]", expected}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m := string(manifest)
			if c.manifest != nil {
				m = c.manifest(m)
			}
			files := map[string][]byte{"manifest.json": []byte(m), "ssd_mobilenet_v2_coco.onnx": c.model}
			for _, f := range []string{"coco91.names", "ssd_mobilenet_v2_coco.anchors"} {
				b, err := os.ReadFile(filepath.Join(src, f))
				if err != nil {
					t.Fatal(err)
				}
				files[f] = b
			}
			for name, b := range files {
				if b != nil {
					if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			cfg := filepath.Join(dir, "pantau.yaml")
			yaml := "site: s\ncameras:\n  - {name: gate, url: rtsp://h/a, detector: {type: dnn, model: ssd_mobilenet_v2_coco, models_dir: .}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}\n"
			if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := mainCode([]string{"check", "-c", cfg}, &out, &errOut)
			if len(c.want) == 0 {
				if code != 0 {
					t.Fatalf("exit code %d; output:\n%s%s", code, out.String(), errOut.String())
				}
				return
			}
			if code != 1 {
				t.Fatalf("exit code %d, want 1; output:\n%s%s", code, out.String(), errOut.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output does not say %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestModelBundle: the one file `make models` writes holds what a box
// without registry access needs; unpacked into a models directory, the
// default model passes `pantau check` there.
func TestModelBundle(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "pantau-models.tar.gz")
	cmd := exec.Command("scripts/models.sh", "bundle", tgz)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/models.sh bundle: %v\n%s(the model is made at set-up: run scripts/setup.sh)", err, b)
	}
	box := filepath.Join(dir, "box")
	if err := os.Mkdir(box, 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("tar", "-xzf", tgz, "-C", box).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	for _, f := range []string{"manifest.json", "ssd_mobilenet_v2_coco.onnx", "ssd_mobilenet_v2_coco.anchors", "coco91.names", "NOTICE", "README.md", "LICENSE.coco-ssd"} {
		if _, err := os.Stat(filepath.Join(box, f)); err != nil {
			t.Errorf("bundle lacks %s", f)
		}
	}
	cfg := filepath.Join(dir, "pantau.yaml")
	yaml := "site: s\ncameras:\n  - {name: gate, url: rtsp://h/a, detector: {type: dnn, model: ssd_mobilenet_v2_coco, models_dir: box}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := mainCode([]string{"check", "-c", cfg}, &out, &errOut); code != 0 {
		t.Fatalf("check with the unpacked bundle: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}
