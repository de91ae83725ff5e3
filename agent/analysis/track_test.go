package analysis

import (
	"testing"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/vision/track"
)

// TestTrackerHeightCheck: a camera's tracker matches boxes only of about
// the same height, except behind HOG, whose boxes jump between its
// pyramid's scales (docs/accuracy.md, section 2).
func TestTrackerHeightCheck(t *testing.T) {
	for _, c := range []struct {
		detector string
		want     float64
	}{
		{"blob", 1.5},
		{"hog", -1},
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
		if r := got.Config().MaxResize; r != c.want {
			t.Errorf("%s: tracker MaxResize %g, want %g", c.detector, r, c.want)
		}
	}
}
