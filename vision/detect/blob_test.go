package detect

import (
	"strings"
	"testing"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/motion"
	"gocv.io/x/gocv"
)

func TestBlobPeopleWalking(t *testing.T) {
	checkMats(t)
	var shared, own [][]vision.Detection
	withDets, total := 0, 0
	runClip(t, vtest, 100, func(m *motion.Detector) []analyzer {
		a, err := NewBlobDetector(BlobConfig{}, m)
		if err != nil {
			t.Fatal(err)
		}
		return []analyzer{a}
	}, func(i int, r *vision.Result) {
		shared = append(shared, append([]vision.Detection(nil), r.Detections...))
		if i >= 20 && len(r.Detections) > 0 {
			withDets++
		}
		total += len(r.Detections)
		for _, d := range r.Detections {
			if d.Class != "object" || d.Score != 1 {
				t.Fatalf("frame %d: %+v", i, d)
			}
		}
	})
	if withDets < 70 {
		t.Errorf("objects on %d of 80 frames of people walking, want nearly all", withDets)
	}
	t.Logf("%d detections in 100 frames", total)
	// Without a source the detector subtracts the background itself, with
	// the same model: it must find the same blobs.
	runClip(t, vtest, 100, func(*motion.Detector) []analyzer {
		a, err := NewBlobDetector(BlobConfig{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return []analyzer{a}
	}, func(i int, r *vision.Result) {
		own = append(own, append([]vision.Detection(nil), r.Detections...)) // motion adds none
	})
	for i := range shared {
		if len(shared[i]) != len(own[i]) {
			t.Fatalf("frame %d: %d blobs from the motion detector, %d from its own model", i, len(shared[i]), len(own[i]))
		}
		for j := range shared[i] {
			if shared[i][j] != own[i][j] {
				t.Fatalf("frame %d: blob %+v from the motion detector, %+v from its own model", i, shared[i][j], own[i][j])
			}
		}
	}
}

func TestBlobNone(t *testing.T) {
	checkMats(t)
	cases := []struct {
		name string
		clip string
		cfg  BlobConfig
	}{
		{"still scene", still, BlobConfig{}},
		{"masked everywhere", vtest, BlobConfig{Masks: [][]vision.Point{poly(0, 0, 1, 0, 1, 1.0, 0, 1)}}},
		{"too small", vtest, BlobConfig{MinSize: 0.4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runClip(t, c.clip, 60, func(m *motion.Detector) []analyzer {
				a, err := NewBlobDetector(c.cfg, m)
				if err != nil {
					t.Fatal(err)
				}
				return []analyzer{a}
			}, func(i int, r *vision.Result) {
				if len(r.Detections) != 0 {
					t.Fatalf("frame %d: detections %+v, want none", i, r.Detections)
				}
			})
		})
	}
}

func TestBlobNeedsMotionFirst(t *testing.T) {
	checkMats(t)
	m, _ := motion.New(motion.Config{})
	defer m.Close()
	b, err := NewBlobDetector(BlobConfig{}, m)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f := &frame.Frame{Gray: gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8UC1), Time: t0}
	defer f.Gray.Close()
	var r vision.Result
	if err := b.Analyze(f, &r); err == nil || !strings.Contains(err.Error(), "run the motion analyzer before") {
		t.Fatalf("err %v, want one saying motion must run first", err)
	}
}

func TestBlobConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  BlobConfig
		want string
	}{
		{BlobConfig{MinSize: -1}, "min_size"},
		{BlobConfig{MaxSize: 2}, "max_size"},
		{BlobConfig{MinSize: 0.3, MaxSize: 0.2}, "min_size"},
		{BlobConfig{MinFill: 1.5}, "min_fill"},
		{BlobConfig{Masks: [][]vision.Point{poly(0, 0, 1, 1)}}, "masks[0]"},
	} {
		d, err := NewBlobDetector(c.cfg, nil)
		if err == nil {
			d.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.want)
		}
	}
}
