//go:build matprofile

package count

import "gocv.io/x/gocv"

func matCount() int { return gocv.MatProfile.Count() }
