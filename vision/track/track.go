// Package track follows detections across frames and gives each object a
// stable ID: greedy association by IoU against a constant-velocity
// prediction, then by centre distance for what IoU missed, both only
// between boxes of about the same height, with tracks kept alive through
// short occlusions (two people passing each other keep their identities:
// each follows its own prediction while they overlap, and the one box the
// detector may give for both, taller or wider than either, matches
// neither when its height says so).
//
// A track's class is the majority, weighted by score, of the classes of
// its detections, so one frame's "bicycle" does not rename a person.
//
// Between detector passes (vision.Result.Coast: the shared detector does
// not answer every frame) the motion regions bridge the gap: a region that
// overlaps exactly one track moves it; a track in a region shared with
// others follows its prediction; a track that no region overlaps stays
// where it is (nothing moves there). Coast frames never start a track,
// never change a class and never count a miss. On a detector pass that
// looked only at parts of the frame (Result.Inspected), a track outside
// them is not missed either.
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
	// 10.
	MaxAge int
	// TentativeAge is the same for a track not yet confirmed. It defaults
	// to 3: a detector at its default confidence misses a walker beside
	// others in one frame out of a few, and a tentative track dropped at
	// its first miss starts again a few steps on, often past the line
	// it was about to cross. A false detection still needs MinHits
	// matches to become a track that counts. A negative value drops it at
	// its first miss.
	TentativeAge int
	// MinHits is how many matched frames make a track Confirmed. It
	// defaults to 3.
	MinHits int
	// MaxResize is how much, as a factor, a detection's height may differ
	// from the height of a track's last box for the two to match. It
	// defaults to 1.5: a walker's box does not grow or shrink that much
	// between two analysed frames (98 % of the matches on vtest change by
	// less than 1.3), but the box of the next walker, or one box around
	// two walkers, often does — taking it would swap identities or merge
	// two walkers into one track. A negative value turns the check off.
	MaxResize float64
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
	// scratch of Coast, kept so steady state does not allocate
	perRegion, perTrack, which []int
	now                        time.Time // time of the frame being associated
}

// state is one live track.
type state struct {
	vision.Track
	cx, cy, w, h float64   // last matched box, centre form
	vx, vy       float64   // centre velocity, per second
	seen         time.Time // time the prediction starts from
	// at is when cx, cy were observed (a match, or a move by motion);
	// seen may be later, when the track was held still where it was (not
	// looked at, or no motion over it). Velocities are measured from at,
	// so a walker found again after being held is not given the whole
	// way he went in the meantime as one frame's move.
	at      time.Time
	px, py  float64 // predicted centre at the current frame
	matched bool
	votes   map[string]float64 // summed score per class
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
	case cfg.MaxResize > 0 && cfg.MaxResize < 1:
		return nil, fmt.Errorf("track: max_resize: must be at least 1 (a factor), got %g", cfg.MaxResize)
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
	if cfg.TentativeAge == 0 {
		cfg.TentativeAge = 3
	}
	if cfg.MaxResize == 0 {
		cfg.MaxResize = 1.5
	}
	return &Tracker{cfg: cfg, nextID: 1}, nil
}

// Name is the analyzer's name in metrics and logs.
func (tr *Tracker) Name() string { return "track" }

// Analyze matches r.Detections to the tracks and appends every live track
// to r.Tracks (see Update), or, when r.Coast is set, moves the tracks by
// the motion regions in r.Detections (see Coast).
func (tr *Tracker) Analyze(f *frame.Frame, r *vision.Result) error {
	if r.Coast {
		r.Tracks = tr.Coast(f.Time, r.Detections, r.Tracks)
		return nil
	}
	r.Tracks = tr.UpdateInspected(f.Time, r.Detections, r.Inspected, r.Tracks)
	return nil
}

// Close does nothing; Tracker holds no native memory.
func (tr *Tracker) Close() error { return nil }

// Update advances the tracks to time t with the detections of that frame
// and appends every live track to out, in ID order. Tracks matched in this
// frame have Lost 0 and the detection's box; tracks in an occlusion have
// Lost > 0 and their predicted box. Only Confirmed tracks should be counted.
func (tr *Tracker) Update(t time.Time, dets []vision.Detection, out []vision.Track) []vision.Track {
	return tr.UpdateInspected(t, dets, nil, out)
}

// UpdateInspected is Update for a detector pass that looked only at the
// regions inspected (normalised; empty means the whole frame): a track
// whose predicted centre lies outside all of them is neither matched nor
// missed, and stays where it was last seen.
func (tr *Tracker) UpdateInspected(t time.Time, dets []vision.Detection, inspected []vision.Rect, out []vision.Track) []vision.Track {
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
			if !inside(vision.Point{X: s.px, Y: s.py}, inspected) {
				// Not looked at: no evidence either way.
				s.seen = t
				s.vx, s.vy = 0, 0
				live = append(live, s)
				continue
			}
			s.Lost++
			s.Box = vision.Rect{X: s.px - s.w/2, Y: s.py - s.h/2, W: s.w, H: s.h}
		}
		if s.Lost == 0 || (s.Confirmed && s.Lost <= tr.cfg.MaxAge) || (!s.Confirmed && s.Lost <= max(tr.cfg.TentativeAge, 0)) {
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
		if dt := t.Sub(s.at).Seconds(); dt > 0 {
			vx, vy := (c.X-s.cx)/dt, (c.Y-s.cy)/dt
			if s.Hits == 1 || s.seen.After(s.at) {
				// A first move, or one after a hold (whose velocity was
				// zeroed): nothing to average with.
				s.vx, s.vy = vx, vy
			} else {
				s.vx, s.vy = (s.vx+vx)/2, (s.vy+vy)/2
			}
		}
	}
	s.cx, s.cy, s.w, s.h = c.X, c.Y, d.Box.W, d.Box.H
	s.seen, s.at = t, t
	s.Box = d.Box
	s.vote(d)
	s.Hits++
	s.Lost = 0
	s.matched = true
	if s.Hits >= minHits {
		s.Confirmed = true
	}
}

// vote adds d's class to the track's tally and sets Class to the leader;
// a tie keeps the current class.
func (s *state) vote(d vision.Detection) {
	if s.votes == nil {
		s.votes = map[string]float64{}
	}
	w := d.Score
	if w <= 0 {
		w = 1
	}
	s.votes[d.Class] += w
	if s.Class == "" || s.votes[d.Class] > s.votes[s.Class] {
		s.Class = d.Class
	}
}

// inside reports whether p lies in one of rs; an empty rs is the whole
// frame.
func inside(p vision.Point, rs []vision.Rect) bool {
	if len(rs) == 0 {
		return true
	}
	for _, r := range rs {
		if p.X >= r.X && p.X <= r.X+r.W && p.Y >= r.Y && p.Y <= r.Y+r.H {
			return true
		}
	}
	return false
}

// Live appends the live tracks as of the last Update or Coast to out. It
// is for an analyzer earlier in the chain (the shared detector's client)
// reading them on the next frame, from the same goroutine.
func (tr *Tracker) Live(out []vision.Track) []vision.Track {
	for _, s := range tr.tracks {
		out = append(out, s.Track)
	}
	return out
}

// Config returns the tracker's settings, defaults filled in.
func (tr *Tracker) Config() Config { return tr.cfg }
