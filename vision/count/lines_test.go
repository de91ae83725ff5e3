package count

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

const fps = 10

// step is one track's state in one frame: anchor (bottom-centre) position,
// or absent. lost marks a predicted (Lost > 0) box.
type step struct {
	x, y   float64
	absent bool
	lost   bool
	unconf bool
	coast  bool // a coasted box: the track's Hits do not grow
	class  string
}

// walk is a straight path from (x0,y0) to (x1,y1) in n frames.
func walk(x0, y0, x1, y1 float64, n int) []step {
	s := make([]step, n)
	for i := range s {
		f := float64(i) / float64(n-1)
		s[i] = step{x: x0 + (x1-x0)*f, y: y0 + (y1-y0)*f}
	}
	return s
}

func still(x, y float64, n int) []step { return walk(x, y, x, y, n) }

func gap(n int) []step {
	s := make([]step, n)
	for i := range s {
		s[i].absent = true
	}
	return s
}

func join(parts ...[]step) []step {
	var s []step
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// jitter stands at (x,y) and wobbles ±a in x every frame for n frames.
func jitter(x, y, a float64, n int) []step {
	s := make([]step, n)
	for i := range s {
		d := a
		if i%2 == 1 {
			d = -a
		}
		s[i] = step{x: x + d, y: y}
	}
	return s
}

// frames turns per-track paths into one []vision.Track per frame. Track IDs
// are the map keys; boxes are 0.04×0.12 with the anchor at bottom-centre.
func frames(paths map[int][]step) [][]vision.Track {
	n := 0
	for _, p := range paths {
		n = max(n, len(p))
	}
	out := make([][]vision.Track, n)
	hits := map[int]int{}
	for i := range out {
		for id := 1; id <= len(paths)+10; id++ {
			p, ok := paths[id]
			if !ok || i >= len(p) || p[i].absent {
				continue
			}
			st := p[i]
			if !st.coast {
				hits[id]++
			}
			cl := st.class
			if cl == "" {
				cl = "person"
			}
			tr := vision.Track{ID: id, Class: cl, Box: vision.Rect{X: st.x - 0.02, Y: st.y - 0.12, W: 0.04, H: 0.12},
				Hits: hits[id], Age: i + 1, Confirmed: !st.unconf}
			if st.lost {
				tr.Lost = 1
			}
			out[i] = append(out[i], tr)
		}
	}
	return out
}

func frameTime(i int) time.Time { return t0.Add(time.Duration(i) * time.Second / fps) }

// runLines returns the events as "frame:rule:track:direction:class", the
// frame being the one whose Update counted it.
func runLines(t *testing.T, cfgs []LineConfig, paths map[int][]step) []string {
	t.Helper()
	got, _ := runLinesTimed(t, cfgs, paths)
	return got
}

// runLinesTimed is runLines that also returns each event's time, in
// frames since the first (the crossing time may fall between frames and
// before the frame that counted it).
func runLinesTimed(t *testing.T, cfgs []LineConfig, paths map[int][]step) ([]string, []float64) {
	t.Helper()
	l, err := NewLines(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var at []float64
	var evs []vision.Event
	for i, trs := range frames(paths) {
		evs = l.Update(frameTime(i), trs, evs[:0])
		for _, e := range evs {
			if e.Type != vision.EventLineCross || e.Time.After(frameTime(i)) || e.Time.Before(t0) {
				t.Fatalf("bad event %+v at frame %d", e, i)
			}
			got = append(got, fmt.Sprintf("%d:%s:%d:%s:%s", i, e.Rule, e.Track, e.Direction, e.Class))
			at = append(at, e.Time.Sub(t0).Seconds()*fps)
		}
	}
	return got, at
}

var vline = LineConfig{Name: "mid", Points: []vision.Point{{X: 0.5, Y: 0.1}, {X: 0.5, Y: 0.95}}}

func TestLines(t *testing.T) {
	lshape := LineConfig{Name: "L", Points: []vision.Point{{X: 0.2, Y: 0.2}, {X: 0.5, Y: 0.5}, {X: 0.8, Y: 0.5}}}
	rev := vline
	rev.Reverse = true
	cars := vline
	cars.Classes = []string{"car"}
	centre := vline
	centre.Anchor = AnchorCenter
	cases := []struct {
		name  string
		cfg   []LineConfig
		paths map[int][]step
		want  []string
	}{
		{"left to right is in", []LineConfig{vline}, map[int][]step{1: walk(0.2, 0.5, 0.8, 0.5, 31)}, []string{"16:mid:1:in:person"}},
		{"right to left is out", []LineConfig{vline}, map[int][]step{1: walk(0.8, 0.5, 0.2, 0.5, 31)}, []string{"16:mid:1:out:person"}},
		{"reverse swaps", []LineConfig{rev}, map[int][]step{1: walk(0.2, 0.5, 0.8, 0.5, 31)}, []string{"16:mid:1:out:person"}},
		{"two at once, both ways", []LineConfig{vline}, map[int][]step{
			1: walk(0.2, 0.4, 0.8, 0.4, 31),
			2: walk(0.8, 0.7, 0.2, 0.7, 31),
		}, []string{"16:mid:1:in:person", "16:mid:2:out:person"}},
		{"stops on the line and jitters, then goes on: once", []LineConfig{vline}, map[int][]step{
			1: join(walk(0.2, 0.5, 0.5, 0.5, 16), jitter(0.5, 0.5, 0.01, 40), walk(0.5, 0.5, 0.8, 0.5, 16)),
		}, []string{"57:mid:1:in:person"}},
		{"stops on the line and jitters, then turns back: none", []LineConfig{vline}, map[int][]step{
			1: join(walk(0.2, 0.5, 0.5, 0.5, 16), jitter(0.5, 0.5, 0.015, 40), walk(0.5, 0.5, 0.2, 0.5, 16)),
		}, nil},
		{"crosses, dithers just past the band, comes back: in then out", []LineConfig{vline}, map[int][]step{
			1: join(walk(0.2, 0.5, 0.6, 0.5, 20), walk(0.6, 0.5, 0.2, 0.5, 20)),
		}, []string{"16:mid:1:in:person", "26:mid:1:out:person"}},
		{"walks round the end of the line: none", []LineConfig{vline}, map[int][]step{
			1: join(walk(0.3, 0.5, 0.3, 0.03, 10), walk(0.3, 0.03, 0.7, 0.03, 10), walk(0.7, 0.03, 0.7, 0.5, 10)),
		}, nil},
		{"fast jump over the line in one frame", []LineConfig{vline}, map[int][]step{
			1: join(still(0.3, 0.5, 3), still(0.7, 0.5, 3)),
		}, []string{"3:mid:1:in:person"}},
		{"unconfirmed track is not counted", []LineConfig{vline}, map[int][]step{
			1: func() []step {
				s := walk(0.2, 0.5, 0.8, 0.5, 31)
				for i := range s {
					s[i].unconf = true
				}
				return s
			}(),
		}, nil},
		{"crosses while tentative: counted when confirmed", []LineConfig{vline}, map[int][]step{
			1: func() []step {
				s := walk(0.2, 0.5, 0.8, 0.5, 31)
				for i := range s[:20] {
					s[i].unconf = true
				}
				return s
			}(),
		}, []string{"20:mid:1:in:person"}},
		{"over and back while tentative: both, once confirmed", []LineConfig{vline}, map[int][]step{
			1: func() []step {
				s := join(walk(0.4, 0.5, 0.6, 0.5, 5), walk(0.6, 0.5, 0.4, 0.5, 5), still(0.4, 0.5, 5))
				for i := range s[:12] {
					s[i].unconf = true
				}
				return s
			}(),
		}, []string{"12:mid:1:in:person", "12:mid:1:out:person"}},
		{"class filter", []LineConfig{cars}, map[int][]step{
			1: walk(0.2, 0.5, 0.8, 0.5, 31),
			2: func() []step {
				s := walk(0.8, 0.5, 0.2, 0.5, 31)
				for i := range s {
					s[i].class = "car"
				}
				return s
			}(),
		}, []string{"16:mid:2:out:car"}},
		{"lost frames: counted once when seen again", []LineConfig{vline}, map[int][]step{
			1: join(walk(0.2, 0.5, 0.45, 0.5, 10), []step{{x: 0.5, y: 0.5, lost: true}, {x: 0.55, y: 0.5, lost: true}}, walk(0.6, 0.5, 0.8, 0.5, 5)),
		}, []string{"12:mid:1:in:person"}},
		{"dropped track forgets its side", []LineConfig{vline}, map[int][]step{
			1: join(walk(0.2, 0.5, 0.45, 0.5, 10), gap(3), walk(0.6, 0.5, 0.8, 0.5, 5)),
		}, nil},
		{"multi-segment: down through the flat part is out, up is in", []LineConfig{lshape}, map[int][]step{
			1: walk(0.65, 0.3, 0.65, 0.7, 20),
			2: walk(0.7, 0.7, 0.7, 0.3, 20),
		}, []string{"11:L:1:out:person", "11:L:2:in:person"}},
		{"multi-segment: up-right across the diagonal part is in", []LineConfig{lshape}, map[int][]step{
			1: walk(0.2, 0.4, 0.5, 0.3, 21),
		}, []string{"12:L:1:in:person"}},
		{"multi-segment: across the corner", []LineConfig{lshape}, map[int][]step{
			1: walk(0.55, 0.3, 0.45, 0.7, 20),
		}, []string{"11:L:1:out:person"}},
		{"two lines count independently", []LineConfig{vline, {Name: "h", Points: []vision.Point{{X: 0.1, Y: 0.6}, {X: 0.9, Y: 0.6}}}}, map[int][]step{
			1: walk(0.3, 0.3, 0.7, 0.9, 40),
		}, []string{"21:h:1:out:person", "22:mid:1:in:person"}},
		{"centre anchor crosses later than bottom anchor", []LineConfig{
			{Name: "c", Anchor: AnchorCenter, Points: []vision.Point{{X: 0.1, Y: 0.42}, {X: 0.9, Y: 0.42}}},
			{Name: "b", Points: []vision.Point{{X: 0.1, Y: 0.42}, {X: 0.9, Y: 0.42}}},
		}, map[int][]step{
			// The box centre is 0.06 above the bottom anchor.
			1: walk(0.5, 0.3, 0.5, 0.7, 20),
		}, []string{"7:b:1:out:person", "10:c:1:out:person"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runLines(t, c.cfg, c.paths)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("events:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// The crossing is dated when the anchor met the line, between two frames,
// not when it cleared the band, was found again or was confirmed.
func TestLineCrossingTime(t *testing.T) {
	tentative := walk(0.2, 0.5, 0.8, 0.5, 31) // meets x=0.5 at frame 15
	for i := range tentative[:22] {
		tentative[i].unconf = true
	}
	cases := []struct {
		name string
		path []step
		want float64 // frames
	}{
		{"walking", walk(0.2, 0.5, 0.8, 0.5, 31), 15},
		{"between frames", walk(0.2, 0.5, 0.79, 0.5, 31), 15.25},
		{"lost over the line", join(walk(0.2, 0.5, 0.4, 0.5, 5), []step{{x: 0.45, y: 0.5, lost: true}, {x: 0.5, y: 0.5, lost: true}, {x: 0.55, y: 0.5, lost: true}}, walk(0.6, 0.5, 0.8, 0.5, 5)), 6},
		{"confirmed after crossing", tentative, 15},
		{"box held on the line between detections: when it met it", func() []step {
			s := join(walk(0.2, 0.5, 0.5, 0.5, 16), still(0.505, 0.5, 10), walk(0.6, 0.5, 0.8, 0.5, 5))
			for i := 16; i < 26; i++ {
				s[i].coast = true
			}
			return s
		}(), 15},
		{"stands on the line, then goes on: when it leaves", join(walk(0.2, 0.5, 0.5, 0.5, 16), jitter(0.5, 0.5, 0.01, 40), walk(0.5, 0.5, 0.8, 0.5, 16)), 57},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, at := runLinesTimed(t, []LineConfig{vline}, map[int][]step{1: c.path})
			if len(at) != 1 || math.Abs(at[0]-c.want) > 0.01 {
				t.Errorf("crossing at frames %v, want [%g]", at, c.want)
			}
		})
	}
}

func TestDirectionConvention(t *testing.T) {
	// The definition: in = from (B−A)×(P−A) > 0 to < 0.
	a, b := vision.Point{X: 0.5, Y: 0.1}, vision.Point{X: 0.5, Y: 0.95}
	left, right := vision.Point{X: 0.3, Y: 0.5}, vision.Point{X: 0.7, Y: 0.5}
	if vision.Cross(a, b, left) <= 0 || vision.Cross(a, b, right) >= 0 {
		t.Fatalf("vision.Cross(left)=%g vision.Cross(right)=%g", vision.Cross(a, b, left), vision.Cross(a, b, right))
	}
	if direction(1, false) != "in" || direction(-1, false) != "out" || direction(1, true) != "out" {
		t.Fatal("direction mapping")
	}
}
