package tamper

import (
	"time"

	"github.com/pantau/pantau/vision"
)

// hold debounces one condition: it is raised once the condition has held
// for raiseAfter, cleared once it has been absent for clearAfter.
type hold struct {
	kind    string
	raised  bool
	pending bool
	// since is when the pending change began; at when the state last
	// changed.
	since, at time.Time
}

// update feeds the condition at time t and appends a tamper event to evs
// when the raised state changes.
func (h *hold) update(t time.Time, cond bool, raiseAfter, clearAfter time.Duration, evs []vision.Event) []vision.Event {
	if cond == h.raised {
		h.pending = false
		return evs
	}
	if !h.pending {
		h.pending, h.since = true, t
	}
	wait := clearAfter
	if cond {
		wait = raiseAfter
	}
	if t.Sub(h.since) < wait {
		return evs
	}
	return h.set(t, cond, evs)
}

// set changes the raised state now and appends the event.
func (h *hold) set(t time.Time, raised bool, evs []vision.Event) []vision.Event {
	h.pending = false
	if raised == h.raised {
		return evs
	}
	h.raised, h.at = raised, t
	st := StateCleared
	if raised {
		st = StateRaised
	}
	return append(evs, vision.Event{Type: vision.EventTamper, Time: t, Kind: h.kind, State: st})
}
