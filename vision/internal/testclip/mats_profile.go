//go:build matprofile

package testclip

import (
	"testing"

	"gocv.io/x/gocv"
)

// CheckMats fails t if the Mats open when it returns differ in number from
// those open now. It needs the matprofile build tag (make test sets it).
func CheckMats(t testing.TB) {
	start := gocv.MatProfile.Count()
	t.Cleanup(func() {
		if n := gocv.MatProfile.Count(); n != start {
			t.Errorf("Mat leak: %d Mats open before, %d after", start, n)
		}
	})
}
