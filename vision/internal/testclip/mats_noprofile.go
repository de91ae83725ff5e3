//go:build !matprofile

package testclip

import "testing"

// CheckMats fails t: without the matprofile build tag gocv does not count
// Mats, so leaks would go unseen.
func CheckMats(t testing.TB) {
	t.Helper()
	t.Fatal("gocv tests must run with -tags matprofile to catch leaked Mats (make test does)")
}
