package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

// bframeClips are the camera-like clips with B-frames from
// scripts/testdata.sh (25 fps, 20 s), and whether their B-pictures are
// all non-reference (so unwanted ones need not be decoded).
var bframeClips = []struct {
	name   string
	nonRef bool
}{
	{"cam_ibp_h264.mp4", true},
	{"cam_ibbp_h264.mp4", true},
	{"cam_bpyramid_h264.mp4", true},
	{"cam_bf4_h265.mp4", true},
	{"cam_noidr_h264.mp4", false},
}

// TestRunFileBFrames: a 25 fps clip with B-frames analysed at fps 5 gives
// 5 ± 0.5 frames a second of stream, in presentation order, with frame
// times that only go forward, and unwanted non-reference pictures are
// not decoded.
func TestRunFileBFrames(t *testing.T) {
	checkMats(t)
	for _, c := range bframeClips {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			var times []time.Time
			st, err := RunFile(context.Background(), clipPath(t, c.name), Config{FPS: 5, Decode: ModeFull}, []Analyzer{rec},
				func(r *vision.Result) { times = append(times, r.Time) })
			if err != nil {
				t.Fatal(err)
			}
			span := rec.pts[len(rec.pts)-1] - rec.pts[0]
			fps := float64(len(rec.pts)-1) / span.Seconds()
			if fps < 4.5 || fps > 5.5 {
				t.Errorf("analysed %d frames over %v: %.2f fps, want 5 ± 0.5", len(rec.pts), span, fps)
			}
			for i := 1; i < len(rec.pts); i++ {
				if rec.pts[i] <= rec.pts[i-1] || !times[i].After(times[i-1]) {
					t.Errorf("frame %d: pts %v after %v, time %v after %v", i, rec.pts[i], rec.pts[i-1], times[i], times[i-1])
					break
				}
				if gap := rec.pts[i] - rec.pts[i-1]; gap > 400*time.Millisecond {
					t.Errorf("frame %d: %v since the previous analysed frame", i, gap)
					break
				}
			}
			if c.nonRef && st.Skipped < st.Received/4 {
				t.Errorf("only %d of %d units skipped as unwanted non-reference", st.Skipped, st.Received)
			}
			if st.DecodeErrors != 0 {
				t.Errorf("%d decode errors", st.DecodeErrors)
			}
			t.Logf("%s: received %d decoded %d skipped %d analysed %d (%.2f fps)", c.name, st.Received, st.Decoded, st.Skipped, st.Analysed, fps)
		})
	}
}
