package count

import (
	"fmt"
	"sort"
	"time"

	"github.com/pantau/pantau/vision"
)

// Lines counts confirmed tracks crossing polylines, with direction. Build
// it with NewLines. It is not safe for concurrent use: the pipeline calls it
// from one goroutine per camera.
type Lines struct {
	lines []line
	gen   uint64
	drop  []int
}

type line struct {
	cfg    LineConfig
	hyst   float64
	tracks map[int]lineTrack
}

// lineTrack is what a line remembers about one track.
type lineTrack struct {
	last  vision.Point
	lastT time.Time // when the anchor was at last
	// side is the side (+1/−1) the anchor last settled on, outside the
	// hysteresis band; 0 until it has settled once.
	side int
	// touched is set when the anchor's path met the line since it last
	// settled; a change of settled side counts only if it did, so an object
	// walking round the end of the line is not counted. touchedAt is when
	// the path met it (the last time, interpolated along the move).
	touched   bool
	touchedAt time.Time
	// lingerFrom and lingerTo are the first and last times the anchor was
	// detected (not coasted: Track.Hits grew) in the band after its path
	// met the line: one detected there lingerAfter or more (someone standing
	// on the line) crosses when it leaves, not when it arrived. Coasted
	// positions do not count: a box held still between detector passes
	// is not a person standing.
	lingerFrom, lingerTo time.Time
	hits                 int // Track.Hits as last seen
	// pending are the crossings made while the track was still tentative
	// (usually none or one): they are counted once the tracker confirms
	// the track, so a walker first detected near the line is not lost to
	// the confirmation delay.
	pending []crossing
	gen     uint64
}

// crossing is one change of settled side: the side it left and when.
type crossing struct {
	from int
	at   time.Time
}

// NewLines validates cfgs and returns a line counter. Line names must be
// unique. Errors name the line index and field, e.g.
// "lines[0].points: need at least 2 points, got 1".
func NewLines(cfgs []LineConfig) (*Lines, error) {
	l := &Lines{}
	seen := map[string]bool{}
	for i, c := range cfgs {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("lines[%d].%w", i, err)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("lines[%d].name: duplicate line name %q", i, c.Name)
		}
		seen[c.Name] = true
		c.Points = append([]vision.Point(nil), c.Points...)
		c.Classes = append([]string(nil), c.Classes...)
		l.lines = append(l.lines, line{cfg: c, hyst: hysteresisOr(c.Hysteresis), tracks: map[int]lineTrack{}})
	}
	return l, nil
}

// Update feeds one frame's tracks (time t) and appends a line_cross event
// to events for every counted crossing; it returns the extended slice.
//
// Only confirmed tracks of an accepted class are counted, but tentative
// tracks are followed too: a crossing made before the tracker confirmed
// the track is counted when it does. A crossing's time is when the anchor's
// path met the line, interpolated between the two frames around it, not
// the frame where the anchor cleared the hysteresis band or where a track
// lost for a while was found again past the line: so an event may be
// dated a little before t. An anchor detected in the band for
// lingerAfter or more (someone standing on the line) is dated when it
// leaves. A track that is reported but currently lost
// (Lost > 0, predicted box) keeps its state without moving; a track
// missing from tracks is forgotten.
func (l *Lines) Update(t time.Time, tracks []vision.Track, events []vision.Event) []vision.Event {
	l.gen++
	for li := range l.lines {
		ln := &l.lines[li]
		for _, tr := range tracks {
			st, known := ln.tracks[tr.ID]
			st.gen = l.gen
			if tr.Lost > 0 {
				if known {
					ln.tracks[tr.ID] = st
				}
				continue
			}
			p := anchorOf(ln.cfg.Anchor, tr.Box)
			if known {
				if f, ok := pathCrosses(ln.cfg.Points, st.last, p); ok {
					st.touched = true
					st.touchedAt = st.lastT.Add(time.Duration(f * float64(t.Sub(st.lastT))))
				}
			}
			st.last, st.lastT = p, t
			d, side := polySide(ln.cfg.Points, p)
			switch {
			case d <= ln.hyst || side == 0:
				if st.touched && tr.Hits != st.hits {
					if st.lingerFrom.IsZero() {
						st.lingerFrom = t
					}
					st.lingerTo = t
				}
			default:
				if st.side != 0 && side != st.side && st.touched {
					at := st.touchedAt
					if st.lingerTo.Sub(st.lingerFrom) >= lingerAfter {
						at = t
					}
					st.pending = append(st.pending, crossing{st.side, at})
				}
				st.side, st.touched, st.lingerFrom, st.lingerTo = side, false, time.Time{}, time.Time{}
			}
			st.hits = tr.Hits
			if tr.Confirmed && len(st.pending) > 0 {
				for _, c := range st.pending {
					if classOK(ln.cfg.Classes, tr.Class) {
						events = append(events, vision.Event{
							Type:      vision.EventLineCross,
							Time:      c.at,
							Rule:      ln.cfg.Name,
							Class:     tr.Class,
							Track:     tr.ID,
							Direction: direction(c.from, ln.cfg.Reverse),
						})
					}
				}
				st.pending = st.pending[:0]
			}
			ln.tracks[tr.ID] = st
		}
		l.drop = l.drop[:0]
		for id, st := range ln.tracks {
			if st.gen != l.gen {
				l.drop = append(l.drop, id)
			}
		}
		sort.Ints(l.drop)
		for _, id := range l.drop {
			delete(ln.tracks, id)
		}
	}
	return events
}

// lingerAfter is how long an anchor may be detected in the band after
// meeting the line and still be dated when it met it; longer, it stood on
// the line and crossed when it left.
const lingerAfter = 3 * time.Second

// direction names a crossing that left side from: leaving the positive
// side is "in".
func direction(from int, reverse bool) string {
	if (from > 0) != reverse {
		return "in"
	}
	return "out"
}

// Names returns the line names in configuration order.
func (l *Lines) Names() []string {
	n := make([]string, len(l.lines))
	for i, ln := range l.lines {
		n[i] = ln.cfg.Name
	}
	return n
}
