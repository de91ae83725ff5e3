//go:build matprofile

package scenario

import "gocv.io/x/gocv"

func matCount() int { return gocv.MatProfile.Count() }
