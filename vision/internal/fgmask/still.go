package fgmask

import (
	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision/blockdiff"
)

// stillAfter is how many frames the model learns before frames may be
// skipped.
const stillAfter = 20

// still reports whether gray may skip the model: past the model's first
// frames, the last frame modelled had no blobs, and no block moved by
// more than StillDiff since.
func (s *Subtractor) still(gray gocv.Mat) bool {
	if s.cfg.StillDiff < 0 || s.moved || s.frames <= stillAfter || s.ref.Empty() {
		return false
	}
	blockdiff.Shrink(gray, &s.blocks)
	if s.ref.Cols() != s.blocks.Cols() || s.ref.Rows() != s.blocks.Rows() {
		return false
	}
	return blockdiff.Largest(s.blocks, s.ref, &s.diff) <= s.cfg.StillDiff
}
