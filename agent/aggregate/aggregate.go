// Package aggregate turns one camera's per-frame analysis results into the
// messages of MQTT contract v1: events (passed through; the analyzers have
// debounced them), counts per closed interval with running totals, and
// occupancy when it changes.
//
// Time comes from the frames (vision.Result.Time) and from the caller's
// Tick, never from the package itself, so tests and `pantau eval` (which
// runs a file faster than real time) drive it with their own clock. Frame
// times and Tick times must be on the same clock.
package aggregate

import (
	"sync"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/vision"
)

// Config configures the aggregator of one camera.
type Config struct {
	// Site, Agent and Camera name the messages (topic and envelope).
	Site, Agent, Camera string
	// Interval is the length of a counts interval; intervals are aligned to
	// multiples of it on the wall clock (a 60 s interval closes at every
	// full minute). It defaults to 60 seconds.
	Interval time.Duration
	// Now gives the start time (the first, partial interval begins then and
	// running totals count from then). It defaults to time.Now. When frame
	// times are not the wall clock (a file analysed faster than real time),
	// return the first frame's time here and drive Tick with frame times.
	Now func() time.Time
	// Lines and Zones name the camera's configured rules so every counts
	// message lists them, also in intervals where nothing crossed; rules
	// seen in events but not named here are added when first seen.
	Lines, Zones []string
	// MaxFrameGap is the longest gap between two frames that still counts
	// as motion when the first had motion (a stalled stream must not count
	// as minutes of motion). It defaults to 5 seconds.
	MaxFrameGap time.Duration
}

// Aggregator is the per-camera aggregation state. Add, Tick and Flush may
// be called from different goroutines; they serialise on a mutex and call
// emit while holding it, so emit sees messages in order and must not call
// back into the Aggregator.
type Aggregator struct {
	mu   sync.Mutex
	cfg  Config
	emit func(event.Message)

	since    time.Time // running totals count from here
	cur      interval
	curEnd   time.Time
	lineList []string // rule order in counts
	zoneList []string
	totLines map[string]*lineAcc
	totZones map[string]*zoneTotals

	// Motion is held from the last frame until the next one (or MaxFrameGap).
	lastFrame  time.Time
	motionOn   bool
	motionFrom time.Time
	motionCap  time.Time

	occ     []zoneNow // last published occupancy
	occSent bool

	unknown uint64
}

// maxCatchUp bounds how many empty intervals Tick emits after a long stall
// (suspend, clock step); beyond it the aggregator jumps to the current
// interval and the gap shows as counts.start ≠ previous counts.end.
const maxCatchUp = 60

// New returns the aggregator of one camera. emit receives every message;
// it is called synchronously from Add, Tick and Flush.
func New(cfg Config, emit func(event.Message)) *Aggregator {
	if cfg.Interval <= 0 {
		cfg.Interval = 60 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxFrameGap <= 0 {
		cfg.MaxFrameGap = 5 * time.Second
	}
	now := cfg.Now()
	a := &Aggregator{
		cfg: cfg, emit: emit, since: now,
		totLines: map[string]*lineAcc{}, totZones: map[string]*zoneTotals{},
	}
	for _, l := range cfg.Lines {
		a.knowLine(l)
	}
	for _, z := range cfg.Zones {
		a.knowZone(z)
	}
	a.cur.reset(now)
	a.curEnd = now.Truncate(cfg.Interval).Add(cfg.Interval)
	return a
}

// Add takes the results of one analysed frame: it emits r's events, folds
// the frame into the current interval, and emits occupancy when it changed.
// A frame whose time is past the current interval first closes it (as Tick
// would). Add does not keep r or its slices.
func (a *Aggregator) Add(r *vision.Result) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := r.Time
	a.advance(t)
	// A frame older than the last one (reordered delivery) still counts,
	// but must not move the motion clock back.
	if !t.Before(a.lastFrame) {
		a.holdMotionUntil(t)
		a.motionOn, a.motionFrom, a.motionCap = r.Motion, t, t.Add(a.cfg.MaxFrameGap)
		a.lastFrame = t
	}
	a.cur.frames++

	for i := range r.Events {
		a.event(&r.Events[i])
	}
	for i := range r.Occupancy {
		o := &r.Occupancy[i]
		a.knowZone(o.Zone)
		a.cur.zone(o.Zone).frame(o.ByClass)
	}
	a.occupancy(t, r.Occupancy)
}

// AddEvent emits an event that did not come with an analysed frame (for
// example video_loss raised by a timer while no frames arrive) and counts it
// in the interval of its time, like the events of Add.
func (a *Aggregator) AddEvent(ev vision.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.advance(ev.Time)
	a.event(&ev)
}

// Tick closes every interval that ended at or before now, emitting its
// counts (frames_analysed 0 when no frame came, so silence is visible).
// The agent calls it about every second.
func (a *Aggregator) Tick(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.advance(now)
}

// Flush closes the intervals that ended by now and then emits the current
// one cut at now, marked partial, unless it is empty because now is its
// start. Call it once at shutdown; later calls to Add or Tick start a new
// partial interval at now.
func (a *Aggregator) Flush(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.advance(now)
	if !now.After(a.cur.start) && a.cur.frames == 0 && len(a.cur.events) == 0 {
		return
	}
	if now.Before(a.cur.start) {
		now = a.cur.start
	}
	a.closeInterval(now, true)
}

// UnknownEvents is how many events of a type contract v1 does not know were
// dropped (an analyzer bug; each would fail schema validation).
func (a *Aggregator) UnknownEvents() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.unknown
}

// advance closes the intervals that ended at or before t.
func (a *Aggregator) advance(t time.Time) {
	for n := 0; !t.Before(a.curEnd); n++ {
		if n == maxCatchUp {
			// Jump: the next interval starts at t's boundary.
			a.closeInterval(a.curEnd, false)
			a.cur.start = t.Truncate(a.cfg.Interval)
			a.curEnd = a.cur.start.Add(a.cfg.Interval)
			if a.motionFrom.Before(a.cur.start) {
				a.motionFrom = a.cur.start
			}
			return
		}
		a.closeInterval(a.curEnd, false)
	}
}

// holdMotionUntil adds the held motion of the last frame up to t (capped at
// MaxFrameGap after that frame) to the current interval.
func (a *Aggregator) holdMotionUntil(t time.Time) {
	if !a.motionOn {
		return
	}
	end := t
	if a.motionCap.Before(end) {
		end = a.motionCap
	}
	if end.After(a.motionFrom) {
		a.cur.motion += end.Sub(a.motionFrom)
		a.motionFrom = end
	}
}

// closeInterval emits the counts of the current interval cut at end and
// starts the next one there.
func (a *Aggregator) closeInterval(end time.Time, partial bool) {
	a.holdMotionUntil(end)
	aligned := a.cur.start.Truncate(a.cfg.Interval).Equal(a.cur.start)
	partial = partial || !aligned
	a.emit(event.NewCounts(a.cfg.Site, a.cfg.Agent, a.cfg.Camera, end, a.counts(end, partial)))
	a.cur.reset(end)
	a.curEnd = end.Truncate(a.cfg.Interval).Add(a.cfg.Interval)
}

// event counts ev and emits it.
func (a *Aggregator) event(ev *vision.Event) {
	m, err := event.NewEvent(a.cfg.Site, a.cfg.Agent, a.cfg.Camera, fields(ev))
	if err != nil {
		a.unknown++
		return
	}
	a.cur.events[ev.Type]++
	switch ev.Type {
	case vision.EventLineCross:
		a.knowLine(ev.Rule)
		a.cur.line(ev.Rule).add(ev.Direction, ev.Class)
		a.totLines[ev.Rule].add(ev.Direction, ev.Class)
	case vision.EventZoneEnter:
		a.knowZone(ev.Rule)
		a.cur.zone(ev.Rule).entries[ev.Class]++
		a.totZones[ev.Rule].entries[ev.Class]++
	case vision.EventZoneExit:
		a.knowZone(ev.Rule)
		z := a.cur.zone(ev.Rule)
		z.exits[ev.Class]++
		z.dwell[ev.Class] += ev.Dwell
		a.totZones[ev.Rule].exits[ev.Class]++
	}
	a.emit(m)
}

func (a *Aggregator) knowLine(rule string) {
	if _, ok := a.totLines[rule]; !ok {
		a.totLines[rule] = newLineAcc()
		a.lineList = append(a.lineList, rule)
	}
}

func (a *Aggregator) knowZone(rule string) {
	if _, ok := a.totZones[rule]; !ok {
		a.totZones[rule] = &zoneTotals{entries: map[string]int{}, exits: map[string]int{}}
		a.zoneList = append(a.zoneList, rule)
	}
}

// fields is ev in the contract's terms (the event package knows nothing of
// vision).
func fields(ev *vision.Event) event.Fields {
	return event.Fields{
		Type: ev.Type, Time: ev.Time, Rule: ev.Rule, Class: ev.Class, Track: ev.Track,
		Direction: ev.Direction, State: ev.State, Kind: ev.Kind, Dwell: ev.Dwell, Area: ev.Area,
	}
}
