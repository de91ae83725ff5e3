package detect

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/pantau/pantau/vision"
	"gocv.io/x/gocv"
)

// The default detector, made by set-up (scripts/models.sh). Its tests need
// the real model: without it they fail with the step that makes it.
const (
	defaultModel = "ssd_mobilenet_v2_coco"
	vtestAVI     = "../../testdata/vtest.avi"
)

// openDefault loads the default model through the shipped manifest, with
// changes applied to its config.
func openDefault(t testing.TB, change func(*DNNConfig)) *DNN {
	t.Helper()
	cfg := defaultConfig(t)
	if change != nil {
		change(&cfg)
	}
	d, err := NewDNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func defaultConfig(t testing.TB) DNNConfig {
	t.Helper()
	m, err := ReadManifest(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m.DNNConfig(defaultModel)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.Model); err != nil {
		t.Fatalf("%v: the default model is made at set-up: run scripts/setup.sh (or scripts/models.sh)", err)
	}
	return cfg
}

// vtestFrames reads the colour frames of vtest.avi at the given indices
// (ascending). The caller closes them.
func vtestFrames(t testing.TB, at ...int) []gocv.Mat {
	t.Helper()
	if _, err := os.Stat(vtestAVI); err != nil {
		t.Fatalf("%v: run scripts/setup.sh (vtest.avi comes from Debian's opencv-doc)", err)
	}
	vc, err := gocv.VideoCaptureFile(vtestAVI)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	var out []gocv.Mat
	img := gocv.NewMat()
	defer img.Close()
	for i := 0; len(out) < len(at); i++ {
		if !vc.Read(&img) || img.Empty() {
			t.Fatalf("vtest.avi ended at frame %d", i)
		}
		if i == at[len(out)] {
			out = append(out, img.Clone())
		}
	}
	return out
}

func closeAll(ms []gocv.Mat) {
	for i := range ms {
		ms[i].Close()
	}
}

// count counts detections of class with a score of at least min.
func count(dets []vision.Detection, class string, min float64) int {
	n := 0
	for _, d := range dets {
		if d.Class == class && d.Score >= min {
			n++
		}
	}
	return n
}

// The real model on real vtest frames finds the walkers (≥ 5 on the busy
// frames 100 and 300) and the cars parked at the top right, with boxes in
// the frame's pixels.
func TestSSDFindsWalkersAndCars(t *testing.T) {
	checkMats(t)
	frames := vtestFrames(t, 100, 300, 500)
	defer closeAll(frames)
	d := openDefault(t, func(c *DNNConfig) { c.Confidence = 0.3 })
	defer d.Close()
	for i, img := range frames {
		dets, err := d.Infer(img)
		if err != nil {
			t.Fatal(err)
		}
		persons, cars := count(dets, "person", 0.5), count(dets, "car", 0.3)
		t.Logf("frame %d: %d persons ≥ 0.5, %d cars ≥ 0.3 (%d detections)", []int{100, 300, 500}[i], persons, cars, len(dets))
		if i < 2 && persons < 5 { // frame 500 is a quieter one
			t.Errorf("frame %d: %d persons ≥ 0.5, want ≥ 5: %+v", i, persons, dets)
		}
		if cars < 1 {
			t.Errorf("frame %d: no car: %+v", i, dets)
		}
		for _, det := range dets {
			b := det.Box
			if b.X < 0 || b.Y < 0 || b.W <= 0 || b.H <= 0 || b.X+b.W > float64(img.Cols())+1e-6 || b.Y+b.H > float64(img.Rows())+1e-6 {
				t.Fatalf("box outside the %d×%d frame: %+v", img.Cols(), img.Rows(), det)
			}
			if !strings.Contains("person bicycle car motorcycle bus truck", det.Class) {
				t.Fatalf("class %q is not one a city counts by default", det.Class)
			}
		}
	}
}

// A gray (IR) picture in three channels still finds people.
func TestSSDGrayPicture(t *testing.T) {
	checkMats(t)
	frames := vtestFrames(t, 300)
	defer closeAll(frames)
	gray, gray3 := gocv.NewMat(), gocv.NewMat()
	defer gray.Close()
	defer gray3.Close()
	gocv.CvtColor(frames[0], &gray, gocv.ColorBGRToGray)
	gocv.CvtColor(gray, &gray3, gocv.ColorGrayToBGR)
	d := openDefault(t, nil)
	defer d.Close()
	dets, err := d.Infer(gray3)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(dets, "person", 0.5); n < 3 {
		t.Fatalf("%d persons ≥ 0.5 in the gray picture, want ≥ 3: %+v", n, dets)
	}
}

// Output the model cannot have given (NaN, wrong shape, none) is an error
// wrapping ErrBadOutput, and the detector keeps working afterwards.
func TestSSDBadOutput(t *testing.T) {
	checkMats(t)
	frames := vtestFrames(t, 300)
	defer closeAll(frames)
	d := openDefault(t, nil)
	defer d.Close()
	if _, err := d.Infer(frames[0]); err != nil {
		t.Fatal(err)
	}
	// The outputs are OpenCV's buffers, valid until the next forward: spoil
	// them as a broken model or runtime would, and decode again.
	spoil := []struct {
		name string
		do   func()
		want string
	}{
		{"NaN score", func() { d.outs[1][5*7+1] = float32(nan()) }, "score"},
		{"NaN box", func() { d.outs[0][7] = float32(nan()) }, "box value 7"},
		{"one output", func() { d.outs = d.outs[:1] }, "1 outputs"},
		{"wrong shape", func() { d.shapes[1] = []int{1, 1917, 91} }, "want boxes [1, 1917, 4] and scores [1, 1917, 7]"},
	}
	for _, s := range spoil {
		t.Run(s.name, func(t *testing.T) {
			if err := d.forward(frames[0]); err != nil {
				t.Fatal(err)
			}
			s.do()
			d.dets = d.dets[:0]
			err := d.decodeAnchored()
			if !errors.Is(err, ErrBadOutput) || !strings.Contains(err.Error(), s.want) {
				t.Fatalf("error %v, want ErrBadOutput with %q", err, s.want)
			}
		})
	}
	if dets, err := d.Infer(frames[0]); err != nil || count(dets, "person", 0.5) < 5 {
		t.Fatalf("after bad output: err %v, %d persons", err, count(dets, "person", 0.5))
	}
}

func nan() float64 { return math.NaN() }
