//go:build matprofile

package tamper

import "gocv.io/x/gocv"

func matCount() int { return gocv.MatProfile.Count() }
