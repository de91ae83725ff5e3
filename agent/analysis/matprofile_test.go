//go:build matprofile

package analysis

import "gocv.io/x/gocv"

func liveMats() int { return gocv.MatProfile.Count() }
