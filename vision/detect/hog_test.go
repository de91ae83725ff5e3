package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/motion"
)

func TestPeopleCoefficients(t *testing.T) {
	c, err := peopleCoefficients()
	if err != nil {
		t.Fatal(err)
	}
	// 64×128 window, 8×8 cells, 16×16 blocks at stride 8: 7×15 blocks of
	// 36 values, plus the SVM bias.
	if len(c) != 7*15*36+1 {
		t.Fatalf("%d coefficients, want %d", len(c), 7*15*36+1)
	}
	nonzero := 0
	for _, v := range c {
		if v != 0 && v > -10 && v < 10 {
			nonzero++
		}
	}
	if nonzero < len(c)*9/10 {
		t.Fatalf("only %d of %d coefficients are plausible: copied from freed memory?", nonzero, len(c))
	}
}

func TestHOGPeopleWalking(t *testing.T) {
	checkMats(t)
	var hog *HOG
	people, frames := 0, 0
	runClip(t, vtest, 80, func(m *motion.Detector) []analyzer {
		var err error
		hog, err = NewHOG(HOGConfig{Budget: time.Second}, m)
		if err != nil {
			t.Fatal(err)
		}
		return []analyzer{hog}
	}, func(i int, r *vision.Result) {
		if len(r.Detections) > 0 {
			frames++
		}
		people += len(r.Detections)
		for _, d := range r.Detections {
			if d.Class != "person" {
				t.Fatalf("frame %d: %+v", i, d)
			}
			// A person is where something moves.
			blobs, _ := hogSource(hog).Blobs(r.Time)
			near := false
			for _, b := range blobs {
				near = near || b.Box.IoU(d.Box) > 0 || b.Box.Center() == d.Box.Center()
			}
			if !near {
				t.Fatalf("frame %d: person %+v away from every moving region", i, d)
			}
		}
	})
	examined, skipped := hog.Stats()
	t.Logf("%d people on %d of 80 frames; %d regions examined, %d skipped", people, frames, examined, skipped)
	if frames < 20 || people < 30 {
		t.Errorf("people on %d frames (%d in all) of a clip of people walking, want at least 20 frames and 30 people", frames, people)
	}
	if skipped != 0 {
		t.Errorf("%d regions skipped with a 1 s budget", skipped)
	}
}

func hogSource(h *HOG) BlobSource { return h.src }

func TestHOGStillAndBudget(t *testing.T) {
	checkMats(t)
	runClip(t, still, 40, func(m *motion.Detector) []analyzer {
		h, err := NewHOG(HOGConfig{}, m)
		if err != nil {
			t.Fatal(err)
		}
		return []analyzer{h}
	}, func(i int, r *vision.Result) {
		if len(r.Detections) != 0 {
			t.Fatalf("still scene, frame %d: %+v", i, r.Detections)
		}
	})
	// A budget of 1 ns lets one region through per frame; the rest are
	// skipped and examined first on the next frame.
	var hog *HOG
	var withRegions uint64
	runClip(t, vtest, 40, func(m *motion.Detector) []analyzer {
		var err error
		hog, err = NewHOG(HOGConfig{Budget: time.Nanosecond}, m)
		if err != nil {
			t.Fatal(err)
		}
		return []analyzer{hog}
	}, func(i int, r *vision.Result) {
		if r.MotionArea > 0 || i > 10 {
			withRegions++
		}
	})
	examined, skipped := hog.Stats()
	if examined == 0 || examined > withRegions || skipped == 0 {
		t.Fatalf("1 ns budget: %d regions examined, %d skipped over %d frames with motion; want one per frame and some skipped", examined, skipped, withRegions)
	}
}

func TestHOGConfigErrors(t *testing.T) {
	m, _ := motion.New(motion.Config{})
	defer m.Close()
	for _, c := range []struct {
		cfg  HOGConfig
		src  BlobSource
		want string
	}{
		{HOGConfig{}, nil, "source"},
		{HOGConfig{Budget: -1}, m, "budget"},
		{HOGConfig{MinRegion: 2}, m, "min_region"},
		{HOGConfig{Padding: -1}, m, "padding"},
		{HOGConfig{Scale: 0.9}, m, "scale"},
		{HOGConfig{NMS: 3}, m, "nms"},
		{HOGConfig{Masks: [][]vision.Point{poly(0, 0, 2, 0, 1, 1)}}, m, "masks[0][1]"},
	} {
		h, err := NewHOG(c.cfg, c.src)
		if err == nil {
			h.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.want)
		}
	}
}
