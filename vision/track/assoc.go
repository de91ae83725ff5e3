package track

import (
	"cmp"
	"math"
	"slices"

	"github.com/pantau/pantau/vision"
)

// associate matches detections to tracks: first greedily by IoU with the
// predicted boxes, then what is left by centre distance; a detection whose
// height is not within MaxResize of the track's never matches it. A
// detection of another class than the track's scores half, so a person on
// a bicycle keeps the person track for the person box.
// It sets usedD, usedT and updates matched tracks.
func (tr *Tracker) associate(dets []vision.Detection) {
	tr.usedD = resize(tr.usedD, len(dets))
	tr.usedT = resize(tr.usedT, len(tr.tracks))
	tr.pairs = tr.pairs[:0]
	for ti := range tr.tracks {
		s := &tr.tracks[ti]
		pred := vision.Rect{X: s.px - s.w/2, Y: s.py - s.h/2, W: s.w, H: s.h}
		for di, d := range dets {
			if v := pred.IoU(d.Box); v >= tr.cfg.MinIoU && tr.sized(s, d.Box) {
				tr.pairs = append(tr.pairs, pair{ti, di, v * classWeight(s.Class, d.Class)})
			}
		}
	}
	tr.greedy(dets)
	if tr.cfg.MaxDistance < 0 {
		return
	}
	tr.pairs = tr.pairs[:0]
	for ti := range tr.tracks {
		if tr.usedT[ti] {
			continue
		}
		s := &tr.tracks[ti]
		size := max(s.w, s.h)
		for di, d := range dets {
			if tr.usedD[di] || size <= 0 || !tr.sized(s, d.Box) {
				continue
			}
			c := d.Box.Center()
			if dist := math.Hypot(c.X-s.px, c.Y-s.py) / size; dist <= tr.cfg.MaxDistance {
				tr.pairs = append(tr.pairs, pair{ti, di, -dist / classWeight(s.Class, d.Class)})
			}
		}
	}
	tr.greedy(dets)
}

// sized reports whether box b's height is within MaxResize of the height
// of s's last box.
func (tr *Tracker) sized(s *state, b vision.Rect) bool {
	f := tr.cfg.MaxResize
	if f < 0 || s.h <= 0 {
		return true
	}
	return b.H <= s.h*f && b.H*f >= s.h
}

// greedy takes pairs best first, each track and detection at most once.
func (tr *Tracker) greedy(dets []vision.Detection) {
	slices.SortFunc(tr.pairs, func(a, b pair) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		// Ties go to the older track, then the earlier detection, so the
		// result does not depend on the sort's stability.
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.d, b.d)
	})
	for _, p := range tr.pairs {
		if tr.usedT[p.t] || tr.usedD[p.d] {
			continue
		}
		tr.usedT[p.t], tr.usedD[p.d] = true, true
		tr.tracks[p.t].update(tr.now, dets[p.d], tr.cfg.MinHits)
	}
}

// resize returns b with length n, all false, reusing its memory.
func resize(b []bool, n int) []bool {
	if cap(b) < n {
		b = make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// classWeight is 1 for a detection of the track's class, ½ otherwise.
func classWeight(track, det string) float64 {
	if track == det {
		return 1
	}
	return 0.5
}
