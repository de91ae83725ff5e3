//go:build matprofile

package detpool

import "gocv.io/x/gocv"

func liveMats() int { return gocv.MatProfile.Count() }
