package motion

import (
	"fmt"
	"testing"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/testclip"
	"gocv.io/x/gocv"
)

// TestViewChangeRestartsBackground: real vtest frames; at frame 60 the
// picture goes 40 % darker (a camera's switch to infrared). When the view
// watcher flags the frame (r.ViewChange) the model restarts for that
// reason, its warm-up starts again (no blobs for Warmup frames) and the
// stage's own lighting check does not restart it a second time; unflagged,
// the stage still notices the step itself (global_change).
func TestViewChangeRestartsBackground(t *testing.T) {
	checkMats(t)
	for _, flagged := range []bool{true, false} {
		t.Run(fmt.Sprintf("flagged=%v", flagged), func(t *testing.T) {
			rd, err := testclip.Open("../../testdata/clips/vtest_h264.mp4", 640)
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			d, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			f := frame.New(nil, nil)
			defer f.Close()
			raw := gocv.NewMat()
			defer raw.Close()
			var r vision.Result
			var restarts []string
			blobsAfter := 0
			for i := 0; i < 90; i++ {
				ft, ok := rd.Next(&raw, t0)
				if !ok {
					t.Fatal("vtest ended early")
				}
				if i >= 60 {
					raw.ConvertToWithParams(&f.Gray, gocv.MatTypeCV8U, 0.6, 0)
				} else {
					raw.CopyTo(&f.Gray)
				}
				f.Time = ft
				r.Reset(ft)
				if i == 60 && flagged {
					r.ViewChange = vision.ViewChangeToIR
				}
				if err := d.Analyze(f, &r); err != nil {
					t.Fatal(err)
				}
				if r.MotionRestart != "" {
					restarts = append(restarts, fmt.Sprintf("%s@%d", r.MotionRestart, i))
				}
				if blobs, _ := d.Blobs(ft); i >= 60 && i < 60+10 {
					blobsAfter += len(blobs)
				}
			}
			want := "[global_change@60]"
			if flagged {
				want = "[view_change@60]"
			}
			if fmt.Sprint(restarts) != want {
				t.Errorf("restarts %v, want %s", restarts, want)
			}
			if blobsAfter != 0 {
				t.Errorf("%d blobs during the warm-up after the switch, want 0", blobsAfter)
			}
		})
	}
}
