package analysis

import (
	"testing"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/vision/track"
)

// TestTrackerPerDetector: a camera's tracker matches boxes only of about
// the same height, except behind HOG, whose boxes jump between its
// pyramid's scales; tentative tracks survive a few misses, except blob
// tracks (docs/accuracy.md, section 2).
func TestTrackerPerDetector(t *testing.T) {
	for _, c := range []struct {
		detector  string
		resize    float64
		tentative int
	}{
		{"blob", 1.5, -1},
		{"hog", -1, 3},
	} {
		cfg, err := config.Parse([]byte("site: s\ncameras:\n  - {name: c, url: \"rtsp://h/c\", detector: {type: " + c.detector +
			"}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}\n"))
		if err != nil {
			t.Fatal(err)
		}
		as, err := Build(cfg.Cameras[0], Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got *track.Tracker
		for _, a := range as {
			if tr, ok := a.(*track.Tracker); ok {
				got = tr
			}
		}
		Close(as)
		if got == nil {
			t.Fatalf("%s: no tracker in the chain", c.detector)
		}
		if r := got.Config().MaxResize; r != c.resize {
			t.Errorf("%s: tracker MaxResize %g, want %g", c.detector, r, c.resize)
		}
		if a := got.Config().TentativeAge; a != c.tentative {
			t.Errorf("%s: tracker TentativeAge %d, want %d", c.detector, a, c.tentative)
		}
	}
}
