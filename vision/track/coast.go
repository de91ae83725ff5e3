package track

import (
	"time"

	"github.com/pantau/pantau/vision"
)

// Coast advances the tracks to time t between detector passes, using the
// frame's motion regions (boxes without class): a region that overlaps
// exactly one track, and that track no other region, moves it onto the
// region when their sizes are alike (a region much larger is a group,
// much smaller a part of the body), else along its prediction; a track
// overlapped by a region shared with other tracks follows its prediction;
// a track no region overlaps stays where it is. Nothing is started,
// renamed or missed. Every live track is appended to out.
func (tr *Tracker) Coast(t time.Time, regions []vision.Detection, out []vision.Track) []vision.Track {
	tr.usedT = resize(tr.usedT, len(tr.tracks))
	// perRegion counts the tracks each region overlaps; perTrack the
	// regions each track overlaps (and which, when only one).
	tr.perRegion = zeroed(tr.perRegion, len(regions))
	tr.perTrack = zeroed(tr.perTrack, len(tr.tracks))
	tr.which = zeroed(tr.which, len(tr.tracks))
	perRegion, perTrack, which := tr.perRegion, tr.perTrack, tr.which
	for ti := range tr.tracks {
		s := &tr.tracks[ti]
		dt := max(t.Sub(s.seen).Seconds(), 0)
		s.px, s.py = s.cx+s.vx*dt, s.cy+s.vy*dt
		pred := vision.Rect{X: s.px - s.w/2, Y: s.py - s.h/2, W: s.w, H: s.h}
		for ri, r := range regions {
			if overlaps(pred, r.Box) {
				perRegion[ri]++
				perTrack[ti]++
				which[ti] = ri
			}
		}
	}
	for ti := range tr.tracks {
		s := &tr.tracks[ti]
		s.Age++
		switch {
		case perTrack[ti] == 0:
			// Nothing moves here: the object stands still (or left the
			// picture, which the next detector pass will tell).
			s.vx, s.vy = 0, 0
			s.seen = t
			s.Box = vision.Rect{X: s.cx - s.w/2, Y: s.cy - s.h/2, W: s.w, H: s.h}
		case perTrack[ti] == 1 && perRegion[which[ti]] == 1 && alike(regions[which[ti]].Box, s.w, s.h):
			b := regions[which[ti]].Box
			c := b.Center()
			if dt := t.Sub(s.at).Seconds(); dt > 0 {
				s.vx, s.vy = (s.vx+(c.X-s.cx)/dt)/2, (s.vy+(c.Y-s.cy)/dt)/2
			}
			s.cx, s.cy, s.w, s.h, s.seen, s.at = c.X, c.Y, b.W, b.H, t, t
			s.Box = b
		default:
			s.Box = vision.Rect{X: s.px - s.w/2, Y: s.py - s.h/2, W: s.w, H: s.h}
		}
	}
	for _, s := range tr.tracks {
		out = append(out, s.Track)
	}
	return out
}

// overlaps reports whether two boxes share any area.
func overlaps(a, b vision.Rect) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// alike reports whether box b is within a factor 1.6 of w×h on each side.
func alike(b vision.Rect, w, h float64) bool {
	const f = 1.6
	return b.W <= w*f && b.W >= w/f && b.H <= h*f && b.H >= h/f
}

// zeroed returns b with length n, all 0, reusing its memory.
func zeroed(b []int, n int) []int {
	if cap(b) < n {
		b = make([]int, n)
	}
	b = b[:n]
	clear(b)
	return b
}
