package vision

import (
	"math"
	"testing"
)

func TestIoU(t *testing.T) {
	a := Rect{0, 0, 0.2, 0.2}
	cases := []struct {
		b    Rect
		want float64
	}{
		{a, 1},
		{Rect{0.1, 0, 0.2, 0.2}, 0.02 / 0.06},
		{Rect{0.2, 0, 0.2, 0.2}, 0}, // touching
		{Rect{0.5, 0.5, 0.1, 0.1}, 0},
		{Rect{0.05, 0.05, 0.1, 0.1}, 0.01 / 0.04},
	}
	for _, c := range cases {
		if got := a.IoU(c.b); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("IoU(%v, %v) = %g, want %g", a, c.b, got, c.want)
		}
	}
}

func TestInPolygonAndSide(t *testing.T) {
	tri := []Point{{0.1, 0.1}, {0.9, 0.1}, {0.5, 0.9}}
	for _, c := range []struct {
		p    Point
		want bool
	}{{Point{0.5, 0.3}, true}, {Point{0.1, 0.8}, false}, {Point{0.95, 0.5}, false}} {
		if got := InPolygon(c.p, tri); got != c.want {
			t.Errorf("InPolygon(%v) = %v", c.p, got)
		}
	}
	// A line drawn top to bottom: screen-left is the positive side, so a
	// crossing left → right is "in".
	a, b := Point{0.5, 0.1}, Point{0.5, 0.9}
	if Side(a, b, Point{0.4, 0.5}) != 1 || Side(a, b, Point{0.6, 0.5}) != -1 || Side(a, b, Point{0.5, 0.5}) != 0 {
		t.Error("Side: wrong sign convention")
	}
}
