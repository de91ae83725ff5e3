//go:build matprofile

package eval

import "gocv.io/x/gocv"

func matCount() int { return gocv.MatProfile.Count() }
