package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"gocv.io/x/gocv"
)

// The test head predicts three boxes (input 64×64, classes person, car,
// bicycle):
//
//	box 0: centre (20, 30), 16×32, person with score 0.9 × mean red
//	box 1: centre (21, 30), 16×32, person 0.72 — overlaps box 0 (IoU 0.88)
//	box 2: centre (48, 16), 10×8, car 0.855
//
// so a red or white frame keeps box 0 and suppresses box 1, a black one
// keeps box 1, and the car is always there.
var (
	testClasses = []string{"person", "car", "bicycle"}
	box0        = vision.Rect{X: 12.0 / 64, Y: 14.0 / 64, W: 16.0 / 64, H: 32.0 / 64}
	box1        = vision.Rect{X: 13.0 / 64, Y: 14.0 / 64, W: 16.0 / 64, H: 32.0 / 64}
	box2        = vision.Rect{X: 43.0 / 64, Y: 12.0 / 64, W: 10.0 / 64, H: 8.0 / 64}
)

type headBox struct {
	cx, cy, w, h float32
	class        int
	score        float32 // constant score
	redScore     float32 // plus this times the mean of input channel 0
}

var headBoxes = []headBox{
	{20, 30, 16, 32, 0, 0, 0.9},
	{21, 30, 16, 32, 0, 0.72, 0},
	{48, 16, 10, 8, 1, 0.855, 0},
}

// testModel writes the head in format to a temporary directory and returns
// its path.
func testModel(t *testing.T, format string) string {
	t.Helper()
	return writeFile(t, format+".onnx", headBytes(format))
}

// headBytes is the ONNX test head with format's output layout.
func headBytes(format string) []byte {
	n, nc := len(headBoxes), len(testClasses)
	var per int
	var idx func(box, j int) int
	var shape []int64
	switch format {
	case FormatYOLOv5: // [1, N, 5+C]
		per = 5 + nc
		idx = func(b, j int) int { return b*per + j }
		shape = []int64{1, int64(n), int64(per)}
	case FormatYOLOv8: // [1, 4+C, N]
		per = 4 + nc
		idx = func(b, j int) int { return j*n + b }
		shape = []int64{1, int64(per), int64(n)}
	case FormatSSD: // [1, 1, N, 7]
		per = 7
		idx = func(b, j int) int { return b*7 + j }
		shape = []int64{1, 1, int64(n), 7}
	}
	w := make([][3]float32, n*per)
	b := make([]float32, n*per)
	for i, hb := range headBoxes {
		switch format {
		case FormatYOLOv5:
			copy(b[idx(i, 0):], []float32{hb.cx, hb.cy, hb.w, hb.h})
			// objectness carries the score, the class score is 1.
			b[idx(i, 4)], w[idx(i, 4)][0] = hb.score, hb.redScore
			b[idx(i, 5+hb.class)] = 1
		case FormatYOLOv8:
			for j, v := range []float32{hb.cx, hb.cy, hb.w, hb.h} {
				b[idx(i, j)] = v
			}
			b[idx(i, 4+hb.class)], w[idx(i, 4+hb.class)][0] = hb.score, hb.redScore
		case FormatSSD:
			x1, y1 := (hb.cx-hb.w/2)/64, (hb.cy-hb.h/2)/64
			for j, v := range []float32{0, float32(hb.class), hb.score, x1, y1, x1 + hb.w/64, y1 + hb.h/64} {
				b[idx(i, j)] = v
			}
			w[idx(i, 2)][0] = hb.redScore
		}
	}
	return headModel(64, w, b, shape)
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// testFrame is a 96×64 frame of one gray level, or of one BGR colour when
// bgr is not nil.
func testFrame(gray uint8, bgr []float64) *frame.Frame {
	var mk func(dst *gocv.Mat) error
	if bgr != nil {
		mk = func(dst *gocv.Mat) error {
			m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(bgr[0], bgr[1], bgr[2], 0), 64, 96, gocv.MatTypeCV8UC3)
			defer m.Close()
			m.CopyTo(dst)
			return nil
		}
	}
	f := frame.New(mk, nil)
	g := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(gray), 0, 0, 0), 64, 96, gocv.MatTypeCV8UC1)
	defer g.Close()
	g.CopyTo(&f.Gray)
	f.Time = t0
	return f
}

func TestDNNFormats(t *testing.T) {
	checkMats(t)
	red := []float64{0, 0, 255}
	person := func(b vision.Rect, s float64) vision.Detection {
		return vision.Detection{Box: b, Class: "person", Score: s}
	}
	car := vision.Detection{Box: box2, Class: "car", Score: 0.855}
	cases := []struct {
		name string
		cfg  DNNConfig
		gray uint8
		bgr  []float64
		want []vision.Detection
	}{
		{"white gray frame", DNNConfig{}, 255, nil, []vision.Detection{person(box0, 0.9), car}},
		{"black gray frame", DNNConfig{}, 0, nil, []vision.Detection{car, person(box1, 0.72)}},
		{"mid gray: box 1 beats box 0", DNNConfig{}, 128, nil, []vision.Detection{car, person(box1, 0.72)}},
		{"red colour frame, RGB input", DNNConfig{}, 0, red, []vision.Detection{person(box0, 0.9), car}},
		{"red colour frame, BGR input", DNNConfig{BGR: true}, 0, red, []vision.Detection{car, person(box1, 0.72)}},
		{"keep cars", DNNConfig{Keep: []string{"car"}}, 255, nil, []vision.Detection{car}},
		{"confidence", DNNConfig{Confidence: 0.86}, 255, nil, []vision.Detection{person(box0, 0.9)}},
		{"masked car", DNNConfig{Masks: [][]vision.Point{poly(0.6, 0.2, 0.9, 0.2, 0.9, 0.4, 0.6, 0.4)}}, 255, nil, []vision.Detection{person(box0, 0.9)}},
		{"no NMS overlap limit", DNNConfig{NMS: 0.95}, 255, nil, []vision.Detection{person(box0, 0.9), car, person(box1, 0.72)}},
	}
	for _, format := range []string{FormatYOLOv5, FormatYOLOv8, FormatSSD} {
		model := testModel(t, format)
		sum := fileSHA(t, model)
		for _, c := range cases {
			for _, auto := range []bool{false, true} {
				cfg := c.cfg
				cfg.Model, cfg.SHA256, cfg.Classes, cfg.InputWidth, cfg.InputHeight = model, sum, testClasses, 64, 64
				// The head scores the mean colour, which grey bars would change.
				cfg.Stretch = true
				if !auto {
					cfg.Format = format
				}
				t.Run(format+"/"+c.name, func(t *testing.T) {
					d, err := NewDNN(cfg)
					if err != nil {
						t.Fatal(err)
					}
					defer d.Close()
					f := testFrame(c.gray, c.bgr)
					defer f.Close()
					var r vision.Result
					r.Reset(t0)
					for range 2 { // the second run reuses every buffer
						r.Reset(t0)
						if err := d.Analyze(f, &r); err != nil {
							t.Fatal(err)
						}
					}
					if len(r.Detections) != len(c.want) {
						t.Fatalf("detections %+v, want %+v", r.Detections, c.want)
					}
					for i, got := range r.Detections {
						w := c.want[i]
						if got.Class != w.Class || math.Abs(got.Score-w.Score) > 2e-3 || !near(got.Box, w.Box) {
							t.Fatalf("detection %d: %+v, want %+v", i, got, w)
						}
					}
				})
			}
		}
	}
}

func near(a, b vision.Rect) bool {
	const eps = 1e-4
	return math.Abs(a.X-b.X) < eps && math.Abs(a.Y-b.Y) < eps && math.Abs(a.W-b.W) < eps && math.Abs(a.H-b.H) < eps
}

func TestDNNClassesFile(t *testing.T) {
	checkMats(t)
	model := testModel(t, FormatYOLOv5)
	names := writeFile(t, "coco.names", []byte("person\n\n  car  \nbicycle\n"))
	d, err := NewDNN(DNNConfig{Model: model, SHA256: strings.ToUpper(fileSHA(t, model)), ClassesFile: names, InputWidth: 64, InputHeight: 64, Stretch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := testFrame(255, nil)
	defer f.Close()
	var r vision.Result
	if err := d.Analyze(f, &r); err != nil || len(r.Detections) != 2 || r.Detections[1].Class != "car" {
		t.Fatalf("err %v, detections %+v", err, r.Detections)
	}
}

func TestDNNBadInput(t *testing.T) {
	checkMats(t)
	model := testModel(t, FormatYOLOv5)
	sum := fileSHA(t, model)
	ssd := testModel(t, FormatSSD)
	garbage := writeFile(t, "garbage.onnx", []byte("this is not a protobuf\x00\x01\x02"))
	// Conv weights for 4 input channels: OpenCV throws while importing.
	fourCh := writeFile(t, "four.onnx", badChannelsModel())
	// A reshape that only fits a 64×64 input: OpenCV throws in forward
	// when fed 32×32.
	fixed := writeFile(t, "fixed.onnx", fixedInputModel())
	cases := []struct {
		name string
		cfg  DNNConfig
		want string // in the error of NewDNN or, if it loads, of Analyze
	}{
		{"no model", DNNConfig{SHA256: sum, Classes: testClasses}, "model: required"},
		{"no checksum", DNNConfig{Model: model, Classes: testClasses}, "sha256: required"},
		{"no classes", DNNConfig{Model: model, SHA256: sum}, "classes"},
		{"missing file", DNNConfig{Model: model + ".missing", SHA256: sum, Classes: testClasses}, "no such file"},
		{"checksum mismatch", DNNConfig{Model: model, SHA256: strings.Repeat("0", 64), Classes: testClasses}, "sha256: "},
		{"bad format", DNNConfig{Model: model, SHA256: sum, Classes: testClasses, Format: "yolov3"}, "format"},
		{"bad confidence", DNNConfig{Model: model, SHA256: sum, Classes: testClasses, Confidence: 2}, "confidence"},
		{"unknown keep", DNNConfig{Model: model, SHA256: sum, Classes: testClasses, Keep: []string{"dog"}}, "keep"},
		{"missing names file", DNNConfig{Model: model, SHA256: sum, ClassesFile: model + ".names"}, "classes_file"},
		{"not a model", DNNConfig{Model: garbage, SHA256: fileSHA(t, garbage), Classes: testClasses}, "OpenCV cannot load"},
		{"class count", DNNConfig{Model: model, SHA256: sum, Classes: []string{"a", "b", "c", "d"}, Format: FormatYOLOv5, InputWidth: 64, InputHeight: 64}, "classes: the model outputs 3 classes, the names have 4"},
		{"format unguessable", DNNConfig{Model: model, SHA256: sum, Classes: []string{"a", "b", "c", "d"}, InputWidth: 64, InputHeight: 64}, "format: cannot tell"},
		{"format ambiguous", DNNConfig{Model: ssd, SHA256: fileSHA(t, ssd), Classes: []string{"a", "b"}, InputWidth: 64, InputHeight: 64}, "could be ssd or yolov5"},
		{"wrong format", DNNConfig{Model: model, SHA256: sum, Classes: testClasses, Format: FormatSSD, InputWidth: 64, InputHeight: 64}, "not an SSD output"},
		{"exception in import", DNNConfig{Model: fourCh, SHA256: fileSHA(t, fourCh), Classes: testClasses}, "OpenCV cannot load"},
		{"exception in forward", DNNConfig{Model: fixed, SHA256: fileSHA(t, fixed), Classes: testClasses, InputWidth: 32, InputHeight: 32}, "dnn: forward:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := NewDNN(c.cfg)
			if err == nil {
				defer d.Close()
				f := testFrame(255, nil)
				defer f.Close()
				var r vision.Result
				err = d.Analyze(f, &r)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			t.Log(err)
		})
	}
}

// badChannelsModel is the head with Conv weights for 4 input channels.
func badChannelsModel() []byte {
	g := pb(nil).
		bytes(1, node("GlobalAveragePool", []string{"images"}, []string{"pooled"}, nil)).
		bytes(1, node("Conv", []string{"pooled", "W"}, []string{"output"}, map[string][]int64{"kernel_shape": {1, 1}})).
		str(2, "bad").
		bytes(5, tensor("W", []int64{7, 4, 1, 1}, make([]float32, 28), nil)).
		bytes(11, valueInfo("images", 1, 3, 64, 64)).
		bytes(12, valueInfo("output", 1, 7, 1, 1))
	return pb(nil).int(1, 7).str(2, "pantau").bytes(7, g).bytes(8, pb(nil).str(1, "").int(2, 11))
}

// fixedInputModel flattens a 1×3×64×64 input; any other size cannot be
// reshaped.
func fixedInputModel() []byte {
	g := pb(nil).
		bytes(1, node("Reshape", []string{"images", "shape"}, []string{"output"}, nil)).
		str(2, "fixed").
		bytes(5, tensor("shape", []int64{2}, nil, []int64{1, 3 * 64 * 64})).
		bytes(11, valueInfo("images", 1, 3, 64, 64)).
		bytes(12, valueInfo("output", 1, 3*64*64))
	return pb(nil).int(1, 7).str(2, "pantau").bytes(7, g).bytes(8, pb(nil).str(1, "").int(2, 11))
}
