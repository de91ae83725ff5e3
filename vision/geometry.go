package vision

// IoU is the intersection over union of two normalised boxes, 0 when they
// do not overlap.
func (r Rect) IoU(o Rect) float64 {
	x0, y0 := max(r.X, o.X), max(r.Y, o.Y)
	x1, y1 := min(r.X+r.W, o.X+o.W), min(r.Y+r.H, o.Y+o.H)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	in := (x1 - x0) * (y1 - y0)
	return in / (r.Area() + o.Area() - in)
}

// InPolygon reports whether p lies inside the polygon poly (even-odd
// rule).
func InPolygon(p Point, poly []Point) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// Cross is (B−A)×(P−A) in image coordinates: positive on one side of the
// line AB, negative on the other, zero on it. A line crossing is "in" from
// the positive side to the negative side.
func Cross(a, b, p Point) float64 {
	return (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
}

// Side is the sign of Cross(a, b, p), with a tolerance of 1e-12 counted as
// on the line (0).
func Side(a, b, p Point) int {
	c := Cross(a, b, p)
	switch {
	case c > 1e-12:
		return 1
	case c < -1e-12:
		return -1
	}
	return 0
}
