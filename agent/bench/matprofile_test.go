//go:build matprofile

package bench

import "gocv.io/x/gocv"

// matCount is the number of live gocv Mats; tests compare it before and
// after to find leaks (only with -tags matprofile).
func matCount() int { return gocv.MatProfile.Count() }
