package blockdiff

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// A 20-level step over one 4×4 block is a change; ±3 levels of
// pixel noise averaged over the blocks is not.
func TestLargest(t *testing.T) {
	base := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(100, 0, 0, 0), 40, 64, gocv.MatTypeCV8U)
	defer base.Close()
	noisy := base.Clone()
	defer noisy.Close()
	for y := 0; y < noisy.Rows(); y++ {
		for x := 0; x < noisy.Cols(); x++ {
			noisy.SetUCharAt(y, x, uint8(100+3*((x+y)%3-1)))
		}
	}
	step := base.Clone()
	defer step.Close()
	r := step.Region(image.Rect(8, 12, 12, 16))
	r.SetTo(gocv.NewScalar(120, 0, 0, 0))
	r.Close()

	a, b, diff := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer a.Close()
	defer b.Close()
	defer diff.Close()
	Shrink(base, &a)
	if a.Cols() != 16 || a.Rows() != 10 {
		t.Fatalf("shrunk to %dx%d, want 16x10", a.Cols(), a.Rows())
	}
	Shrink(noisy, &b)
	if got := Largest(a, b, &diff); got > DefaultStep/2 {
		t.Errorf("noise: largest step %v, want under %v", got, DefaultStep/2)
	}
	Shrink(step, &b)
	if got := Largest(a, b, &diff); got <= DefaultStep {
		t.Errorf("a 20-level block: largest step %v, want over %v", got, DefaultStep)
	}
	if got, want := Blocks(image.Rect(8, 12, 13, 16)), image.Rect(2, 3, 4, 4); got != want {
		t.Errorf("Blocks: %v, want %v", got, want)
	}
}
