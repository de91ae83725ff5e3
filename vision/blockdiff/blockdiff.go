// Package blockdiff tells whether a gray picture changed, by the mean
// gray level of small blocks: averaging Side×Side pixels leaves a quarter
// of a sensor's noise (σ 3 gives block steps near 3 levels), while a
// walker's edge moving a few pixels changes its blocks by tens. The motion
// stage's still-frame gate and the detector's warm-up sweep both use it.
package blockdiff

import (
	"image"

	"gocv.io/x/gocv"
)

// Side is the side of a block, in pixels; DefaultStep the mean gray-level
// step of a block that counts as a change.
const (
	Side        = 4
	DefaultStep = 10
)

// Shrink averages gray over Side×Side pixel blocks into dst.
func Shrink(gray gocv.Mat, dst *gocv.Mat) {
	gocv.Resize(gray, dst, image.Pt(max(1, gray.Cols()/Side), max(1, gray.Rows()/Side)), 0, 0, gocv.InterpolationArea)
}

// Largest is the largest step of one block between a and b, two shrunk
// pictures (or regions) of the same size; diff is scratch space.
func Largest(a, b gocv.Mat, diff *gocv.Mat) float64 {
	gocv.AbsDiff(a, b, diff)
	_, most, _, _ := gocv.MinMaxLoc(*diff)
	return float64(most)
}

// Blocks is the rectangle of blocks that covers r, a rectangle of pixels.
func Blocks(r image.Rectangle) image.Rectangle {
	return image.Rect(r.Min.X/Side, r.Min.Y/Side, (r.Max.X+Side-1)/Side, (r.Max.Y+Side-1)/Side)
}
