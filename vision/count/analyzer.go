// Package count turns tracks into counts: lines count crossings with a
// direction, zones keep live occupancy and raise enter, exit, loiter and
// intrusion events.
//
// The geometry and the state machines (Lines.Update, Zones.Update) are
// plain Go and take the tracks and the frame time directly; the Analyze
// methods are thin wrappers for the pipeline, which calls them after the
// detector and the tracker have filled the Result.
package count

import (
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// Name returns "lines".
func (l *Lines) Name() string { return "lines" }

// Analyze appends the line_cross events for f to r.Events, reading the
// tracks an earlier analyzer put in r.Tracks. The frame time is the clock.
// While the view settles after a change (r.Settling: a switch to or from
// infrared) the tracks are ignored: what moved then is the picture, not
// objects.
func (l *Lines) Analyze(f *frame.Frame, r *vision.Result) error {
	if r.Settling {
		return nil
	}
	r.Events = l.Update(f.Time, r.Tracks, r.Events)
	return nil
}

// Close releases nothing; it is there for the analyzer interface.
func (l *Lines) Close() error { return nil }

// Name returns "zones".
func (z *Zones) Name() string { return "zones" }

// Analyze appends the zone events for f to r.Events and the occupancy of
// every zone to r.Occupancy, reading r.Tracks. The frame time is the clock
// for dwell, loitering and the intrusion schedule. While the view settles
// after a change (r.Settling) or a tamper condition is pending
// (r.TamperPending) the tracks are ignored: no events, and the occupancy
// stays as it was. The first frame after that re-synchronises the zones
// with the tracks silently (Resync): the tracker has usually renamed
// everyone meanwhile, and those are not exits and entries.
func (z *Zones) Analyze(f *frame.Frame, r *vision.Result) error {
	if r.Settling || r.TamperPending {
		r.Occupancy = z.Held(r.Occupancy)
		z.ignored = true
		return nil
	}
	if z.ignored {
		z.ignored = false
		r.Occupancy = z.Resync(f.Time, r.Tracks, r.Occupancy)
		return nil
	}
	r.Events, r.Occupancy = z.Update(f.Time, r.Tracks, r.Events, r.Occupancy)
	return nil
}

// Close releases nothing; it is there for the analyzer interface.
func (z *Zones) Close() error { return nil }
