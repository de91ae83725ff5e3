package eval

import (
	"testing"
)

// TestVtestAccuracy runs the default analytics (the shared COCO SSD
// detector at max_rate 2, fed by motion, tracker, one line) on the real
// vtest clip against the hand-labelled truth (testdata/truth/vtest_left.csv,
// 1.0 s to the end). At this writing precision 0.83–0.88, recall
// 0.78–0.83, F1 0.82–0.86 on 18 crossings (letterbox or stretch) (the motion-blob detector, the previous
// default, had 1.00 / 0.89 / 0.94 on this easy line; see docs/accuracy.md
// and docs/performance.md); the floor below catches a regression in the
// detector, tracker or line logic without pinning today's exact numbers.
func TestVtestAccuracy(t *testing.T) {
	out := runCamera(t, "../../testdata/truth/vtest.yaml", "vtest", "../../testdata/clips/vtest_h264.mp4", "")
	truth, err := ReadTruth("../../testdata/truth/vtest_left.csv")
	if err != nil {
		t.Fatal(err)
	}
	ts, cs := Window(truth, out.Counted, 1, 0)
	rep := Score(ts, cs, DefaultTolerance)
	o := rep.Overall
	t.Logf("vtest from 1 s: truth %d counted %d precision %.3f recall %.3f f1 %.3f count error %.3f",
		o.Truth, o.Counted, o.Precision, o.Recall, o.F1, o.CountError)
	if o.Truth != 18 {
		t.Fatalf("truth has %d events in the window, want 18", o.Truth)
	}
	if o.Precision < 0.8 || o.Recall < 0.75 || o.F1 < 0.8 {
		t.Errorf("accuracy fell below the floor (precision 0.8, recall 0.75, F1 0.8)")
	}
	if out.Frames < 390 {
		t.Errorf("analysed %d frames, want about 398 (79.5 s at 5 fps)", out.Frames)
	}
}
