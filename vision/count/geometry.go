package count

import (
	"math"

	"github.com/pantau/pantau/vision"
)

// segDist is the distance from p to the segment ab, and the sign of the
// cross product of p against the segment's direction.
func segDist(a, b, p vision.Point) (dist float64, side int) {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((p.X-a.X)*dx + (p.Y-a.Y)*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	qx, qy := a.X+t*dx-p.X, a.Y+t*dy-p.Y
	c := vision.Cross(a, b, p)
	switch {
	case c > 0:
		side = 1
	case c < 0:
		side = -1
	}
	return math.Hypot(qx, qy), side
}

// polySide says on which side of the polyline pts the point p lies, judged
// by the nearest segment, and how far from the polyline it is. Near a
// vertex both adjacent segments are at the same distance; the one whose
// infinite line puts p further away decides, which gives the side a convex
// or concave corner geometrically belongs to.
func polySide(pts []vision.Point, p vision.Point) (dist float64, side int) {
	dist = math.Inf(1)
	bestLine := -1.0
	for i := 0; i+1 < len(pts); i++ {
		d, s := segDist(pts[i], pts[i+1], p)
		ll := math.Abs(vision.Cross(pts[i], pts[i+1], p)) / math.Max(1e-12, math.Hypot(pts[i+1].X-pts[i].X, pts[i+1].Y-pts[i].Y))
		if d < dist-1e-12 || (d <= dist+1e-12 && ll > bestLine) {
			dist, side, bestLine = d, s, ll
		}
	}
	return dist, side
}

// onSeg reports whether p, known to be collinear with ab, lies within it.
func onSeg(a, b, p vision.Point) bool {
	return math.Min(a.X, b.X)-1e-12 <= p.X && p.X <= math.Max(a.X, b.X)+1e-12 &&
		math.Min(a.Y, b.Y)-1e-12 <= p.Y && p.Y <= math.Max(a.Y, b.Y)+1e-12
}

// segsIntersect reports whether segments p1p2 and q1q2 share a point
// (touching counts).
func segsIntersect(p1, p2, q1, q2 vision.Point) bool {
	o1, o2 := vision.Side(p1, p2, q1), vision.Side(p1, p2, q2)
	o3, o4 := vision.Side(q1, q2, p1), vision.Side(q1, q2, p2)
	if o1 != o2 && o3 != o4 {
		return true
	}
	return (o1 == 0 && onSeg(p1, p2, q1)) || (o2 == 0 && onSeg(p1, p2, q2)) ||
		(o3 == 0 && onSeg(q1, q2, p1)) || (o4 == 0 && onSeg(q1, q2, p2))
}

// pathCrosses reports whether the move p→q meets the polyline pts and,
// if so, how far along the move (0 at p, 1 at q) it last meets it: where
// the anchor was on the line, for the crossing's time.
func pathCrosses(pts []vision.Point, p, q vision.Point) (at float64, ok bool) {
	for i := 0; i+1 < len(pts); i++ {
		if !segsIntersect(p, q, pts[i], pts[i+1]) {
			continue
		}
		f := 0.5 // along the line itself: no better guess
		cp, cq := vision.Cross(pts[i], pts[i+1], p), vision.Cross(pts[i], pts[i+1], q)
		if cp != cq {
			f = math.Max(0, math.Min(1, cp/(cp-cq)))
		}
		if !ok || f > at {
			at = f
		}
		ok = true
	}
	return at, ok
}

// edgeDist is the distance from p to the closest edge of the polygon pts.
func edgeDist(pts []vision.Point, p vision.Point) float64 {
	d := math.Inf(1)
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		e, _ := segDist(pts[j], pts[i], p)
		d = math.Min(d, e)
	}
	return d
}
