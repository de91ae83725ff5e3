//go:build matprofile

package agent

import "gocv.io/x/gocv"

func liveMats() int { return gocv.MatProfile.Count() }
