package detect

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pantau/pantau/vision"
	"gocv.io/x/gocv"
)

// anchorBytes encodes anchors (ymin, xmin, ymax, xmax) as an anchors file.
func anchorBytes(a ...[4]float32) []byte {
	var b []byte
	for _, v := range a {
		for _, f := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return b
}

// Box decoding on fixed inputs, worked out by hand from cy = ty/10·ah + ay,
// cx = tx/10·aw + ax, h = e^(th/5)·ah, w = e^(tw/5)·aw.
func TestDecodeBox(t *testing.T) {
	// Anchor: ymin 0.2, xmin 0.4, ymax 0.6, xmax 0.5 → cy 0.4, cx 0.45,
	// h 0.4, w 0.1.
	anchor := []float32{0.4, 0.45, 0.4, 0.1}
	cases := []struct {
		name string
		t    [4]float32
		want vision.Rect
	}{
		{"zero encoding is the anchor", [4]float32{0, 0, 0, 0}, vision.Rect{X: 0.4, Y: 0.2, W: 0.1, H: 0.4}},
		{"shift down by half a height", [4]float32{5, 0, 0, 0}, vision.Rect{X: 0.4, Y: 0.4, W: 0.1, H: 0.4}},
		{"shift left by a width", [4]float32{0, -10, 0, 0}, vision.Rect{X: 0.3, Y: 0.2, W: 0.1, H: 0.4}},
		{"twice as wide, e-fold taller", [4]float32{0, 0, 5, 5 * float32(math.Ln2)}, vision.Rect{
			X: 0.45 - 0.1, Y: 0.4 - 0.4*math.E/2, W: 0.2, H: 0.4 * math.E}},
	}
	for _, c := range cases {
		got := decodeBox(c.t[:], anchor)
		if !nearEps(got, c.want, 1e-6) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func nearEps(a, b vision.Rect, eps float64) bool {
	return math.Abs(a.X-b.X) < eps && math.Abs(a.Y-b.Y) < eps && math.Abs(a.W-b.W) < eps && math.Abs(a.H-b.H) < eps
}

// The whole anchored decoder on a hand-made output: three anchors, classes
// background, person, car, dog; keep person and car.
func TestDecodeAnchored(t *testing.T) {
	path := writeFile(t, "a.anchors", anchorBytes(
		[4]float32{0.2, 0.4, 0.6, 0.5},
		[4]float32{0, 0, 0.5, 0.5},
		[4]float32{0.5, 0.5, 1, 1},
	))
	a, err := readAnchors(path, fileSHA(t, path))
	if err != nil {
		t.Fatal(err)
	}
	d := &DNN{
		cfg:     DNNConfig{Confidence: 0.5, NMS: 0.45},
		classes: []string{"background", "person", "car", "dog"},
		keep:    []bool{true, true, true, false},
		kept:    []int{0, 1, 2},
		anchors: a,
		outs: [][]float32{
			{0, 0, 0, 0, 5, 5, 0, 0, 0, 0, 0, 0},
			{0.99, 0.9, 0.6, 0.1 /* anchor 0: person and car */, 0.1, 0.4, 0.2, 0.99 /* anchor 1: a dog only */, 0.2, 0.1, 0.55, 0 /* anchor 2: car */},
		},
		shapes: [][]int{{1, 3, 4}, {1, 3, 4}},
	}
	if err := d.decodeAnchored(); err != nil {
		t.Fatal(err)
	}
	want := []vision.Detection{
		{Box: vision.Rect{X: 0.4, Y: 0.2, W: 0.1, H: 0.4}, Class: "person", Score: 0.9},
		{Box: vision.Rect{X: 0.4, Y: 0.2, W: 0.1, H: 0.4}, Class: "car", Score: 0.6},
		{Box: vision.Rect{X: 0.5, Y: 0.5, W: 0.5, H: 0.5}, Class: "car", Score: 0.55},
	}
	if len(d.dets) != len(want) {
		t.Fatalf("%+v, want %+v", d.dets, want)
	}
	for i, w := range want {
		g := d.dets[i]
		if g.Class != w.Class || math.Abs(g.Score-w.Score) > 1e-6 || !nearEps(g.Box, w.Box, 1e-6) {
			t.Errorf("detection %d: %+v, want %+v", i, g, w)
		}
	}
	// The background (index 0) is never a detection even when kept, and
	// anchor 1's encoding was not used (the dog is not kept).
}

func TestReadAnchorsErrors(t *testing.T) {
	good := writeFile(t, "good.anchors", anchorBytes([4]float32{0, 0, 1, 1}))
	short := writeFile(t, "short.anchors", anchorBytes([4]float32{0, 0, 1, 1})[:12])
	swapped := writeFile(t, "swapped.anchors", anchorBytes([4]float32{0, 0, 1, 1}, [4]float32{0.5, 0.5, 0.2, 0.9}))
	cases := []struct {
		name, path, sum, want string
	}{
		{"missing", good + ".gone", fileSHA(t, good), "no such file"},
		{"altered", good, strings.Repeat("ab", 32), "sha256"},
		{"not whole anchors", short, fileSHA(t, short), "not a multiple of 16"},
		{"ymax below ymin", swapped, fileSHA(t, swapped), "anchor 1"},
	}
	for _, c := range cases {
		if _, err := readAnchors(c.path, c.sum); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// Letterbox geometry and its inverse on fixed sizes.
func TestLetterbox(t *testing.T) {
	cases := []struct {
		name          string
		cols, rows    int
		stretch       bool
		want          letterbox
		in, wantImage vision.Rect // a box in input and in image coordinates
	}{
		// vtest: 768×576 into 300×300 → 300×225, bars of 37 px above.
		{"wide picture", 768, 576, false, letterbox{0, 37, 300, 225, 300, 300},
			vision.Rect{X: 0.5, Y: 37.0 / 300, W: 0.25, H: 0.75}, vision.Rect{X: 0.5, Y: 0, W: 0.25, H: 1}},
		{"tall picture", 100, 200, false, letterbox{75, 0, 150, 300, 300, 300},
			vision.Rect{X: 0.25, Y: 0.5, W: 0.5, H: 0.5}, vision.Rect{X: 0, Y: 0.5, W: 1, H: 0.5}},
		{"square picture", 640, 640, false, letterbox{0, 0, 300, 300, 300, 300},
			vision.Rect{X: 0.1, Y: 0.2, W: 0.3, H: 0.4}, vision.Rect{X: 0.1, Y: 0.2, W: 0.3, H: 0.4}},
		{"stretch", 768, 576, true, letterbox{0, 0, 300, 300, 300, 300},
			vision.Rect{X: 0.1, Y: 0.2, W: 0.3, H: 0.4}, vision.Rect{X: 0.1, Y: 0.2, W: 0.3, H: 0.4}},
	}
	for _, c := range cases {
		g := fit(c.cols, c.rows, 300, 300, c.stretch)
		if g != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, g, c.want)
		}
		if got := g.toImage(c.in); !nearEps(got, c.wantImage, 1e-9) {
			t.Errorf("%s: toImage %+v, want %+v", c.name, got, c.wantImage)
		}
	}
}

// NMS is per class: overlapping boxes of different classes both stay.
func TestNMSPerClass(t *testing.T) {
	a := vision.Rect{X: 0.1, Y: 0.1, W: 0.2, H: 0.4}
	b := vision.Rect{X: 0.11, Y: 0.1, W: 0.2, H: 0.4} // IoU with a ≈ 0.9
	c := vision.Rect{X: 0.6, Y: 0.1, W: 0.2, H: 0.4}
	dets := []vision.Detection{
		{Box: b, Class: "person", Score: 0.7},
		{Box: a, Class: "person", Score: 0.9},
		{Box: a, Class: "bicycle", Score: 0.6},
		{Box: c, Class: "person", Score: 0.5},
	}
	got := nms(dets, 0.45)
	want := []string{"person 0.9", "bicycle 0.6", "person 0.5"}
	if len(got) != len(want) {
		t.Fatalf("%+v, want %v", got, want)
	}
	for i, w := range want {
		if s := fmt.Sprintf("%s %.1f", got[i].Class, got[i].Score); s != w {
			t.Errorf("%d: %s, want %s", i, s, w)
		}
	}
}

func TestFirstNaN(t *testing.T) {
	for _, c := range []struct {
		v    []float32
		want int
	}{
		{[]float32{0, 1, -2}, -1},
		{[]float32{0, float32(math.NaN())}, 1},
		{[]float32{float32(math.Inf(-1))}, 0},
		{nil, -1},
	} {
		if got := firstNaN(c.v); got != c.want {
			t.Errorf("%v: %d, want %d", c.v, got, c.want)
		}
	}
}

// Infer on a letterboxed 96×64 picture: the self-test head's car (a
// constant 10×8 box at centre 48, 16 of its 64×64 input, score 0.855) comes
// back in the picture's pixels. The picture fills the input 64 wide and 43
// high, 10 rows down: x = 43/64·96, y = (12 − 10)/43·64, w = 10/64·96,
// h = 8/43·64.
func TestInferLetterboxPixels(t *testing.T) {
	checkMats(t)
	model := testModel(t, FormatYOLOv5)
	d, err := NewDNN(DNNConfig{Model: model, SHA256: fileSHA(t, model), Classes: testClasses,
		InputWidth: 64, InputHeight: 64, Keep: []string{"car"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, ch := range []int{1, 3} {
		typ := map[int]gocv.MatType{1: gocv.MatTypeCV8UC1, 3: gocv.MatTypeCV8UC3}[ch]
		img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 255, 255, 0), 64, 96, typ)
		dets, err := d.Infer(img)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := vision.Rect{X: 43.0 / 64 * 96, Y: 2.0 / 43 * 64, W: 10.0 / 64 * 96, H: 8.0 / 43 * 64}
		if len(dets) != 1 || dets[0].Class != "car" || math.Abs(dets[0].Score-0.855) > 1e-3 || !nearEps(dets[0].Box, want, 1e-3) {
			t.Fatalf("%d channels: %+v, want one car at %+v", ch, dets, want)
		}
	}
}
