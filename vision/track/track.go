// Package track follows detections across frames and gives each object a
// stable ID: greedy association by IoU against a constant-velocity
// prediction, then by centre distance for what IoU missed, with tracks kept
// alive through short occlusions.
package track

import (
	"fmt"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// Config tunes a Tracker. The zero value is usable.
type Config struct {
	// MinIoU is the smallest overlap between a track's predicted box and a
	// detection for them to match by IoU. It defaults to 0.2.
	MinIoU float64
	// MaxDistance is how far, in widths of the track's box (the larger of
	// width and height), a detection's centre may be from the predicted
	// centre to match when the boxes do not overlap enough. It defaults to
	// 1.0; a negative value turns centroid matching off.
	MaxDistance float64
	// MaxAge is how many consecutive frames a confirmed track survives
	// without a match (an occlusion) before it is dropped. It defaults to
	// 10. Unconfirmed tracks are dropped at their first miss.
	MaxAge int
	// MinHits is how many matched frames make a track Confirmed. It
	// defaults to 3.
	MinHits int
}

// Tracker is the tracking analyzer of one camera: it reads r.Detections and
// writes r.Tracks. It is called from one goroutine and holds no native
// memory.
type Tracker struct {
	cfg    Config
	nextID int
	tracks []state
	pairs  []pair
	usedD  []bool
	usedT  []bool
	now    time.Time // time of the frame being associated
}

// state is one live track.
type state struct {
	vision.Track
	cx, cy, w, h float64   // last matched box, centre form
	vx, vy       float64   // centre velocity, per second
	seen         time.Time // time of the last match
	px, py       float64   // predicted centre at the current frame
	matched      bool
}

type pair struct {
	t, d  int
	score float64 // higher is better
}

// New checks cfg and returns a Tracker. Errors name the offending field.
func New(cfg Config) (*Tracker, error) {
	switch {
	case cfg.MinIoU < 0 || cfg.MinIoU > 1:
		return nil, fmt.Errorf("track: min_iou: must be in [0, 1], got %g", cfg.MinIoU)
	case cfg.MaxAge < 0:
		return nil, fmt.Errorf("track: max_age: must not be negative, got %d", cfg.MaxAge)
	case cfg.MinHits < 0:
		return nil, fmt.Errorf("track: min_hits: must not be negative, got %d", cfg.MinHits)
	}
	if cfg.MinIoU == 0 {
		cfg.MinIoU = 0.2
	}
	if cfg.MaxDistance == 0 {
		cfg.MaxDistance = 1
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 10
	}
	if cfg.MinHits == 0 {
		cfg.MinHits = 3
	}
	return &Tracker{cfg: cfg, nextID: 1}, nil
}

// Name is the analyzer's name in metrics and logs.
func (tr *Tracker) Name() string { return "track" }

// Analyze matches r.Detections to the tracks and appends every live track
// to r.Tracks (see Update).
func (tr *Tracker) Analyze(f *frame.Frame, r *vision.Result) error {
	r.Tracks = tr.Update(f.Time, r.Detections, r.Tracks)
	return nil
}

// Close does nothing; Tracker holds no native memory.
func (tr *Tracker) Close() error { return nil }

// Update advances the tracks to time t with the detections of that frame
// and appends every live track to out, in ID order. Tracks matched in this
// frame have Lost 0 and the detection's box; tracks in an occlusion have
// Lost > 0 and their predicted box. Only Confirmed tracks should be counted.
func (tr *Tracker) Update(t time.Time, dets []vision.Detection, out []vision.Track) []vision.Track {
	for i := range tr.tracks {
		s := &tr.tracks[i]
		dt := max(t.Sub(s.seen).Seconds(), 0)
		s.px, s.py = s.cx+s.vx*dt, s.cy+s.vy*dt
		s.matched = false
	}
	tr.now = t
	tr.associate(dets)
	for i, d := range dets {
		if tr.usedD[i] {
			continue
		}
		tr.tracks = append(tr.tracks, state{Track: vision.Track{ID: tr.nextID, Class: d.Class}})
		tr.nextID++
		tr.tracks[len(tr.tracks)-1].update(t, d, tr.cfg.MinHits)
	}
	live := tr.tracks[:0]
	for _, s := range tr.tracks {
		s.Age++
		if !s.matched {
			s.Lost++
			s.Box = vision.Rect{X: s.px - s.w/2, Y: s.py - s.h/2, W: s.w, H: s.h}
		}
		if s.Lost == 0 || (s.Confirmed && s.Lost <= tr.cfg.MaxAge) {
			live = append(live, s)
		}
	}
	tr.tracks = live
	for _, s := range tr.tracks {
		out = append(out, s.Track)
	}
	return out
}

// update moves s onto detection d seen at time t.
func (s *state) update(t time.Time, d vision.Detection, minHits int) {
	c := d.Box.Center()
	if s.Hits > 0 {
		if dt := t.Sub(s.seen).Seconds(); dt > 0 {
			vx, vy := (c.X-s.cx)/dt, (c.Y-s.cy)/dt
			if s.Hits == 1 {
				s.vx, s.vy = vx, vy
			} else {
				s.vx, s.vy = (s.vx+vx)/2, (s.vy+vy)/2
			}
		}
	}
	s.cx, s.cy, s.w, s.h = c.X, c.Y, d.Box.W, d.Box.H
	s.seen = t
	s.Box = d.Box
	s.Class = d.Class
	s.Hits++
	s.Lost = 0
	s.matched = true
	if s.Hits >= minHits {
		s.Confirmed = true
	}
}
