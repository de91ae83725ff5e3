package detpool

import "image"

// plan returns the regions of a w×h frame to send to the model for the
// motion boxes px (pixels of the same frame). Each box, with a margin of a
// fifth of its size (a blob often misses a head or feet), is grown to at
// least size×size around its centre, so a person is seen at the model's
// own scale; the result is shifted inside the frame. Regions that overlap
// are merged (one inference sees both, and no object is cut in two). When
// more than maxCrops regions remain, or they cover most of the frame, one
// region bounding them all is cheaper and is returned instead.
func plan(px []image.Rectangle, w, h, size, maxCrops int) []image.Rectangle {
	frame := image.Rect(0, 0, w, h)
	var out []image.Rectangle
	for _, b := range px {
		b = b.Intersect(frame)
		if b.Empty() {
			continue
		}
		mx, my := b.Dx()/5, b.Dy()/5
		b = image.Rect(b.Min.X-mx, b.Min.Y-my, b.Max.X+mx, b.Max.Y+my)
		out = append(out, fit(grow(b, size), frame))
	}
	out = merge(out, frame, size)
	if len(out) > maxCrops || covered(out) > w*h*2/3 {
		u := out[0]
		for _, r := range out[1:] {
			u = u.Union(r)
		}
		out = append(out[:0], u)
	}
	return out
}

// grow widens r to at least size on each side, keeping its centre.
func grow(r image.Rectangle, size int) image.Rectangle {
	if d := size - r.Dx(); d > 0 {
		r.Min.X -= d / 2
		r.Max.X = r.Min.X + size
	}
	if d := size - r.Dy(); d > 0 {
		r.Min.Y -= d / 2
		r.Max.Y = r.Min.Y + size
	}
	return r
}

// fit shifts r inside frame without shrinking it, unless it is larger than
// the frame.
func fit(r, frame image.Rectangle) image.Rectangle {
	if r.Min.X < frame.Min.X {
		r = r.Add(image.Pt(frame.Min.X-r.Min.X, 0))
	}
	if r.Min.Y < frame.Min.Y {
		r = r.Add(image.Pt(0, frame.Min.Y-r.Min.Y))
	}
	if r.Max.X > frame.Max.X {
		r = r.Add(image.Pt(frame.Max.X-r.Max.X, 0))
	}
	if r.Max.Y > frame.Max.Y {
		r = r.Add(image.Pt(0, frame.Max.Y-r.Max.Y))
	}
	return r.Intersect(frame)
}

// merge joins overlapping regions until none overlap.
func merge(rs []image.Rectangle, frame image.Rectangle, size int) []image.Rectangle {
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(rs) && !changed; i++ {
			for j := i + 1; j < len(rs); j++ {
				if rs[i].Overlaps(rs[j]) {
					rs[i] = fit(grow(rs[i].Union(rs[j]), size), frame)
					rs = append(rs[:j], rs[j+1:]...)
					changed = true
					break
				}
			}
		}
	}
	return rs
}

// covered is the summed area of rs (they do not overlap after merge).
func covered(rs []image.Rectangle) int {
	n := 0
	for _, r := range rs {
		n += r.Dx() * r.Dy()
	}
	return n
}

// tiles covers a w×h frame with size×size regions (fewer when the frame
// is smaller), overlapping evenly, row by row.
func tiles(w, h, size int) []image.Rectangle {
	xs, ys := spread(w, size), spread(h, size)
	out := make([]image.Rectangle, 0, len(xs)*len(ys))
	for _, y := range ys {
		for _, x := range xs {
			out = append(out, image.Rect(x, y, min(x+size, w), min(y+size, h)))
		}
	}
	return out
}

// spread returns the starts of the fewest size-long spans covering n,
// evenly spaced.
func spread(n, size int) []int {
	if n <= size {
		return []int{0}
	}
	k := (n + size - 1) / size
	out := make([]int, k)
	for i := range out {
		out[i] = i * (n - size) / (k - 1)
	}
	return out
}
