package detpool

import (
	"image"

	"gocv.io/x/gocv"
)

// changeBlock is the side of the blocks changes compares, and changeDiff
// the mean gray-level step of a block that counts as a change: averaging
// 4×4 pixels leaves a quarter of a sensor's noise (σ 3 gives block maxima
// near 3 levels), while a walker's edge moving a few pixels changes its
// blocks by tens. The same rule as the motion stage's still-frame gate.
const (
	changeBlock = 4
	changeDiff  = 10
)

// changes tells which parts of the picture changed since the previous
// frame it was given. The warm-up sweep uses it: while the motion stage
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
	gocv.Resize(gray, &c.cur, image.Pt(max(1, gray.Cols()/changeBlock), max(1, gray.Rows()/changeBlock)), 0, 0, gocv.InterpolationArea)
	had := c.ok && c.prev.Cols() == c.cur.Cols() && c.prev.Rows() == c.cur.Rows()
	c.ok = true
	return had
}

// moved reports whether region r (pixels of the frame) changed between
// the last two frames given to next.
func (c *changes) moved(r image.Rectangle) bool {
	b := image.Rect(r.Min.X/changeBlock, r.Min.Y/changeBlock, (r.Max.X+changeBlock-1)/changeBlock, (r.Max.Y+changeBlock-1)/changeBlock).
		Intersect(image.Rect(0, 0, c.cur.Cols(), c.cur.Rows()))
	if b.Empty() {
		return false
	}
	a, p := c.cur.Region(b), c.prev.Region(b)
	defer a.Close()
	defer p.Close()
	gocv.AbsDiff(a, p, &c.diff)
	_, most, _, _ := gocv.MinMaxLoc(c.diff)
	return most > changeDiff
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
