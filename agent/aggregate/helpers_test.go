package aggregate

import (
	"fmt"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/vision"
)

// t0 is a whole minute, so 10 s and 60 s intervals start aligned at t0.
var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// collector records what the aggregator emits, stamping ID and Seq as the
// publisher would, and checks every message against its JSON Schema.
type collector struct {
	t    *testing.T
	msgs []event.Message
	seq  uint64
	// noValidate skips the schema check for tests that feed bad events on
	// purpose (they check validation themselves).
	noValidate bool
}

func (c *collector) emit(m event.Message) {
	h := m.Body.Head()
	if h.ID != "" && m.Durable {
		c.t.Errorf("%s: producer set id %q on a spooled message", m.Subtopic, h.ID)
	}
	if m.Durable {
		c.seq++
		h.ID, h.Seq = fmt.Sprintf("id-%d", c.seq), c.seq
	}
	if err := event.ValidateMessage(m); err != nil && !c.noValidate {
		c.t.Errorf("emitted message does not validate: %v", err)
	}
	c.msgs = append(c.msgs, m)
}

func (c *collector) counts() []*event.Counts {
	var out []*event.Counts
	for _, m := range c.msgs {
		if b, ok := m.Body.(*event.Counts); ok {
			out = append(out, b)
		}
	}
	return out
}

func (c *collector) occupancy() []*event.Occupancy {
	var out []*event.Occupancy
	for _, m := range c.msgs {
		if b, ok := m.Body.(*event.Occupancy); ok {
			out = append(out, b)
		}
	}
	return out
}

// subtopics lists what was emitted, in order.
func (c *collector) subtopics() []string {
	var out []string
	for _, m := range c.msgs {
		out = append(out, m.Subtopic)
	}
	return out
}

// newAgg starts an aggregator at start with the given interval.
func newAgg(t *testing.T, start time.Time, interval time.Duration, lines, zones []string) (*Aggregator, *collector) {
	c := &collector{t: t}
	a := New(Config{Site: "s1", Agent: "box-1", Camera: "cam1", Interval: interval,
		Now: func() time.Time { return start }, Lines: lines, Zones: zones}, c.emit)
	return a, c
}

// frames feeds frames every step from `from` to `to` (exclusive), with
// motion as motion(t) says, calling Tick after each like the agent would.
func frames(a *Aggregator, from, to, step time.Duration, motion func(d time.Duration) bool) {
	var r vision.Result
	for d := from; d < to; d += step {
		r.Reset(at(d))
		r.Motion = motion != nil && motion(d)
		a.Add(&r)
		a.Tick(at(d))
	}
}

func lineCross(d time.Duration, rule, dir, class string, track int) vision.Event {
	return vision.Event{Type: vision.EventLineCross, Time: at(d), Rule: rule, Direction: dir, Class: class, Track: track}
}

func zoneEv(typ string, d time.Duration, rule, class string, track int, dwell time.Duration) vision.Event {
	return vision.Event{Type: typ, Time: at(d), Rule: rule, Class: class, Track: track, Dwell: dwell}
}
