package detect

import (
	"testing"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/motion"
	"github.com/pantau/pantau/vision/track"
)

// trackAnalyzer adapts the tracker to the test's analyzer list.
type trackAnalyzer struct{ *track.Tracker }

// TestChainTracksPeople runs motion → detector → tracker on 20 s of people
// walking and checks the tracker turns per-frame detections into a few
// long-lived confirmed tracks rather than a new ID every frame.
func TestChainTracksPeople(t *testing.T) {
	checkMats(t)
	for _, c := range []struct {
		name string
		mk   func(m *motion.Detector) (analyzer, error)
	}{
		{"blob", func(m *motion.Detector) (analyzer, error) { return NewBlobDetector(BlobConfig{}, m) }},
		{"hog", func(m *motion.Detector) (analyzer, error) { return NewHOG(HOGConfig{}, m) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids := map[int]int{} // confirmed track ID → frames seen matched
			dets := 0
			runClip(t, vtest, 200, func(m *motion.Detector) []analyzer {
				d, err := c.mk(m)
				if err != nil {
					t.Fatal(err)
				}
				tr, err := track.New(track.Config{})
				if err != nil {
					t.Fatal(err)
				}
				return []analyzer{d, trackAnalyzer{tr}}
			}, func(i int, r *vision.Result) {
				dets += len(r.Detections)
				for _, tk := range r.Tracks {
					if tk.Confirmed && tk.Lost == 0 {
						ids[tk.ID]++
					}
				}
			})
			long, matched := 0, 0
			for _, n := range ids {
				matched += n
				if n >= 20 {
					long++
				}
			}
			t.Logf("%d detections, %d confirmed tracks, %d followed for 2 s or more", dets, len(ids), long)
			// vtest shows about 3–6 people at a time over these 20 s.
			if long < 3 {
				t.Errorf("%d tracks followed for 2 s or more, want at least 3", long)
			}
			if matched < dets/2 {
				t.Errorf("only %d of %d detections belong to confirmed tracks", matched, dets)
			}
			if len(ids) > dets/10 {
				t.Errorf("%d confirmed tracks for %d detections: IDs are not stable", len(ids), dets)
			}
		})
	}
}

var _ analyzer = trackAnalyzer{}
