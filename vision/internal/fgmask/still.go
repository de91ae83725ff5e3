package fgmask

import (
	"image"

	"gocv.io/x/gocv"
)

// stillBlock is the side of the blocks StillDiff compares; stillAfter is
// how many frames the model learns before frames may be skipped.
const (
	stillBlock = 4
	stillAfter = 20
)

// still reports whether gray may skip the model: past the model's first
// frames, the last frame modelled had no blobs, and no block moved by
// more than StillDiff since.
func (s *Subtractor) still(gray gocv.Mat) bool {
	if s.cfg.StillDiff < 0 || s.moved || s.frames <= stillAfter || s.ref.Empty() {
		return false
	}
	s.shrinkBlocks(gray, &s.blocks)
	if s.ref.Cols() != s.blocks.Cols() || s.ref.Rows() != s.blocks.Rows() {
		return false
	}
	gocv.AbsDiff(s.blocks, s.ref, &s.diff)
	_, most, _, _ := gocv.MinMaxLoc(s.diff)
	return float64(most) <= s.cfg.StillDiff
}

// shrinkBlocks averages gray over stillBlock² pixel blocks into dst.
func (s *Subtractor) shrinkBlocks(gray gocv.Mat, dst *gocv.Mat) {
	gocv.Resize(gray, dst, image.Pt(max(1, gray.Cols()/stillBlock), max(1, gray.Rows()/stillBlock)), 0, 0, gocv.InterpolationArea)
}
