package detpool

import (
	"image"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision/blockdiff"
)

// changes tells which parts of the picture changed since the previous
// frame it was given (blockdiff's rule, as the motion stage's still-frame
// gate). The warm-up sweep uses it: while the motion stage
// cannot see yet, a tile that did not change holds nothing walking, and
// what stands still there was seen by the first look at the whole frame.
// The zero value is ready; close frees its Mats.
type changes struct {
	prev, cur, diff gocv.Mat
	ok              bool // prev holds the previous frame
}

// next takes gray as the newest frame; it reports false when there was
// no previous frame to compare with.
func (c *changes) next(gray gocv.Mat) bool {
	if c.cur.Ptr() == nil {
		c.prev, c.cur, c.diff = gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	}
	c.prev, c.cur = c.cur, c.prev
	blockdiff.Shrink(gray, &c.cur)
	had := c.ok && c.prev.Cols() == c.cur.Cols() && c.prev.Rows() == c.cur.Rows()
	c.ok = true
	return had
}

// moved reports whether region r (pixels of the frame) changed between
// the last two frames given to next.
func (c *changes) moved(r image.Rectangle) bool {
	b := blockdiff.Blocks(r).Intersect(image.Rect(0, 0, c.cur.Cols(), c.cur.Rows()))
	if b.Empty() {
		return false
	}
	a, p := c.cur.Region(b), c.prev.Region(b)
	defer a.Close()
	defer p.Close()
	return blockdiff.Largest(a, p, &c.diff) > blockdiff.DefaultStep
}

// reset forgets the previous frame, keeping the Mats.
func (c *changes) reset() { c.ok = false }

func (c *changes) close() {
	if c.cur.Ptr() != nil {
		_ = c.prev.Close()
		_ = c.cur.Close()
		_ = c.diff.Close()
	}
}
