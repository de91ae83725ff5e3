package eval

import (
	"testing"
)

// TestVtestAccuracy runs the default analytics (motion blobs, tracker,
// one line) on the real vtest clip against the hand-labelled stretch
// (testdata/truth/vtest_left.csv, 1.0–47.5 s). The figures are in
// docs/accuracy.md (at this writing precision 0.8, recall 0.67 on 6
// events); the floor below catches a regression in the detector, tracker
// or line logic without pinning today's exact numbers.
func TestVtestAccuracy(t *testing.T) {
	out := runCamera(t, "../../testdata/truth/vtest.yaml", "vtest", "../../testdata/clips/vtest_h264.mp4", "")
	truth, err := ReadTruth("../../testdata/truth/vtest_left.csv")
	if err != nil {
		t.Fatal(err)
	}
	ts, cs := Window(truth, out.Counted, 1, 47.5)
	rep := Score(ts, cs, DefaultTolerance)
	o := rep.Overall
	t.Logf("vtest 1–47.5 s: truth %d counted %d precision %.3f recall %.3f f1 %.3f count error %.3f",
		o.Truth, o.Counted, o.Precision, o.Recall, o.F1, o.CountError)
	if o.Truth != 6 {
		t.Fatalf("truth has %d events in the window, want 6", o.Truth)
	}
	if o.Precision < 0.6 || o.Recall < 0.5 || o.F1 < 0.6 {
		t.Errorf("accuracy fell below the floor (precision 0.6, recall 0.5, F1 0.6)")
	}
	if out.Frames < 390 {
		t.Errorf("analysed %d frames, want about 398 (79.5 s at 5 fps)", out.Frames)
	}
}
