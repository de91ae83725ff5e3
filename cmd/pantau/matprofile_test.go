//go:build matprofile

package main

import "gocv.io/x/gocv"

func liveMats() int { return gocv.MatProfile.Count() }
