package eval

import (
	"testing"
)

const vtestClip = "../../testdata/clips/vtest_h264.mp4"

// floors are the least the default analytics may score on vtest: a little
// under what they reach (docs/accuracy.md), so a regression in detection,
// tracking or counting fails the build without pinning today's numbers.
type floors struct {
	truth             int     // true events in the window (a check on the file)
	precision, recall float64 // overall
	f1                float64
	countError        float64 // the most the overall count error may grow to
	classed           float64 // share of matches counted as the true class (class-labelled truth only)
	lineF1            map[string]float64
}

// scoreVtest runs camera cam of cfg on the vtest clip and scores it
// against truth from 1.0 s (where both label sets start).
func scoreVtest(t *testing.T, cfg, cam, truthPath string) (Report, *Output) {
	t.Helper()
	out := runCamera(t, cfg, cam, vtestClip, "")
	truth, err := ReadTruth(truthPath)
	if err != nil {
		t.Fatal(err)
	}
	ts, cs := Window(truth, out.Counted, 1, 0)
	rep := Score(ts, cs, DefaultTolerance)
	o := rep.Overall
	t.Logf("%s %s from 1 s: truth %d counted %d precision %.3f recall %.3f f1 %.3f count error %.3f",
		truthPath, cam, o.Truth, o.Counted, o.Precision, o.Recall, o.F1, o.CountError)
	for _, l := range rep.Lines {
		t.Logf("  line %-6s truth %2d counted %2d precision %.3f recall %.3f f1 %.3f count error %.3f",
			l.Rule, l.Truth, l.Counted, l.Precision, l.Recall, l.F1, l.CountError)
	}
	for _, c := range rep.Classes {
		t.Logf("  class %-7s truth %2d counted %2d matched %2d classed %2d", c.Class, c.Truth, c.Counted, c.Matched, c.Classed)
	}
	return rep, out
}

func checkFloors(t *testing.T, rep Report, f floors) {
	t.Helper()
	o := rep.Overall
	if o.Truth != f.truth {
		t.Fatalf("truth has %d events in the window, want %d", o.Truth, f.truth)
	}
	if o.Precision < f.precision || o.Recall < f.recall || o.F1 < f.f1 {
		t.Errorf("accuracy fell below the floor (precision %.2f, recall %.2f, F1 %.2f)", f.precision, f.recall, f.f1)
	}
	if o.CountError > f.countError {
		t.Errorf("count error %.3f is over the ceiling %.3f", o.CountError, f.countError)
	}
	if f.classed > 0 && (o.Classed == nil || *o.Classed < f.classed) {
		t.Errorf("classed share %v under the floor %.2f", o.Classed, f.classed)
	}
	for _, l := range rep.Lines {
		if min, ok := f.lineF1[l.Rule]; !ok || l.F1 < min {
			t.Errorf("line %s: F1 %.3f under its floor %.3f", l.Rule, l.F1, min)
		}
	}
	if len(rep.Lines) != len(f.lineF1) {
		t.Errorf("%d lines scored, want %d", len(rep.Lines), len(f.lineF1))
	}
}

// TestVtestAccuracy runs the default camera config (the COCO SSD with
// tracking by detection; one line, "left", where people rarely overlap)
// on the real vtest clip against the hand-labelled
// testdata/truth/vtest_left.csv (18 crossings). Reached at this writing:
// precision 1.000, recall 0.944, F1 0.971, count error 5.6 % (one walker
// of a pair at the clip's end missed); one event moves recall by 0.056.
func TestVtestAccuracy(t *testing.T) {
	rep, out := scoreVtest(t, "../../testdata/truth/vtest.yaml", "vtest", "../../testdata/truth/vtest_left.csv")
	checkFloors(t, rep, floors{truth: 18, precision: 0.9, recall: 0.88, f1: 0.9, countError: 0.12,
		lineF1: map[string]float64{"left": 0.9}})
	if out.Frames < 390 {
		t.Errorf("analysed %d frames, want about 398 (79.5 s at 5 fps)", out.Frames)
	}
}

// TestVtestBusyAccuracy runs the default camera config with three lines
// across the busy middle of the plaza, where walkers overlap and pass each
// other, against testdata/truth/vtest_busy.csv (84 crossings, both ways,
// labelled by eye at 10 fps; the method is at the top of the file).
// Reached at this writing (default max_rate 5): precision 0.988, recall
// 0.988, F1 0.988, count error 2.4 %, every match classed person; per
// line F1 centre 0.981, mid 0.983, right 1.000 (the issue's targets, F1
// 0.97 and count error 3 %, are met). One event moves recall by 0.012;
// the floors leave about two.
func TestVtestBusyAccuracy(t *testing.T) {
	rep, _ := scoreVtest(t, "../../testdata/truth/vtest_busy.yaml", "vtest", "../../testdata/truth/vtest_busy.csv")
	checkFloors(t, rep, floors{truth: 84, precision: 0.96, recall: 0.96, f1: 0.96, countError: 0.05, classed: 0.95,
		lineF1: map[string]float64{"centre": 0.94, "mid": 0.94, "right": 0.94}})
}
