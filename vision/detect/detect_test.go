package detect

import (
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/testclip"
	"github.com/pantau/pantau/vision/motion"
	"gocv.io/x/gocv"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	vtest = "../../testdata/clips/vtest_h264.mp4"
	still = "../../testdata/clips/still_h264.mp4"
)

// checkMats fails the test if it leaves Mats open.
func checkMats(t testing.TB) { testclip.CheckMats(t) }

// poly makes a polygon from x, y pairs.
func poly(xy ...float64) []vision.Point {
	p := make([]vision.Point, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		p = append(p, vision.Point{X: xy[i], Y: xy[i+1]})
	}
	return p
}

// analyzer is what the pipeline calls.
type analyzer interface {
	Name() string
	Analyze(f *frame.Frame, r *vision.Result) error
	Close() error
}

// runClip runs the motion detector then the analyzers made by mk over the
// first n frames of a clip at 640 wide, calling check after each frame.
func runClip(t *testing.T, path string, n int, mk func(m *motion.Detector) []analyzer, check func(i int, r *vision.Result)) {
	t.Helper()
	rd, err := testclip.Open(path, 640)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	m, err := motion.New(motion.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	as := mk(m)
	for _, a := range as {
		defer a.Close()
	}
	f := &frame.Frame{Gray: gocv.NewMat()}
	defer f.Gray.Close()
	var r vision.Result
	for i := 0; i < n; i++ {
		ft, ok := rd.Next(&f.Gray, t0)
		if !ok {
			break
		}
		f.Time = ft
		r.Reset(ft)
		if err := m.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if err := a.Analyze(f, &r); err != nil {
				t.Fatalf("frame %d: %s: %v", i, a.Name(), err)
			}
		}
		for _, d := range r.Detections {
			if d.Box.X < 0 || d.Box.Y < 0 || d.Box.W <= 0 || d.Box.H <= 0 || d.Box.X+d.Box.W > 1+1e-9 || d.Box.Y+d.Box.H > 1+1e-9 {
				t.Fatalf("frame %d: box not normalised: %+v", i, d)
			}
		}
		check(i, &r)
	}
}

func TestInPolygon(t *testing.T) {
	sq := poly(0.2, 0.2, 0.8, 0.2, 0.8, 0.8, 0.2, 0.8)
	for _, c := range []struct {
		p    vision.Point
		want bool
	}{
		{vision.Point{X: 0.5, Y: 0.5}, true},
		{vision.Point{X: 0.1, Y: 0.5}, false},
		{vision.Point{X: 0.5, Y: 0.9}, false},
		{vision.Point{X: 0.79, Y: 0.21}, true},
	} {
		if got := vision.InPolygon(c.p, sq); got != c.want {
			t.Errorf("InPolygon(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestNMS(t *testing.T) {
	box := func(x float64) vision.Rect { return vision.Rect{X: x, Y: 0.1, W: 0.2, H: 0.4} }
	dets := []vision.Detection{
		{Box: box(0.1), Class: "person", Score: 0.6},
		{Box: box(0.11), Class: "person", Score: 0.9},
		{Box: box(0.1), Class: "car", Score: 0.5},
		{Box: box(0.6), Class: "person", Score: 0.7},
	}
	got := nms(dets, 0.45)
	if len(got) != 3 || got[0].Score != 0.9 || got[1].Score != 0.7 || got[2].Class != "car" {
		t.Fatalf("nms kept %+v", got)
	}
}
