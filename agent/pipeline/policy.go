package pipeline

import (
	"runtime"
	"syscall"
	"time"
)

// rateGate picks the pictures to analyse: one in every interval of
// presentation time. Presentation time is cut into slots of one interval
// from the first picture on; the first decodable picture of each slot is
// wanted and reserves it. Units come in decode order, so with B-frames a
// picture may belong to an earlier slot than the one before it: slots are
// remembered (a window of gateSlots), so reordering neither restarts the
// schedule nor takes a slot twice. A timestamp that goes back more than
// gateBackwards or jumps ahead more than jumpIntervals restarts the
// schedule, so a camera that resets its clock is analysed at once.
type rateGate struct {
	interval time.Duration
	origin   time.Duration // start of slot 0
	top      int64         // highest slot seen
	topPTS   time.Duration // highest pts seen
	taken    [gateSlots]bool
	started  bool
}

const (
	// gateSlots is how many slots back reordered pictures are placed; at
	// 60 fps it is over 4 s, far more than any reorder depth.
	gateSlots = 256
	// gateBackwards is how far back a timestamp may go before it is taken
	// for a clock reset rather than reordering.
	gateBackwards = 2 * time.Second
	// jumpIntervals is how many intervals ahead a timestamp may jump
	// before the schedule restarts from it.
	jumpIntervals = 20
)

// want reports whether the picture at pts should be analysed, and if so
// reserves its slot. Call it only for pictures that will be decoded.
func (g *rateGate) want(pts time.Duration) bool {
	if g.interval <= 0 {
		return true
	}
	if !g.started || pts < g.topPTS-gateBackwards || pts > g.topPTS+jumpIntervals*g.interval {
		g.started = true
		g.origin, g.top, g.topPTS = pts, 0, pts
		g.taken = [gateSlots]bool{}
	}
	g.topPTS = max(g.topPTS, pts)
	slot := int64((pts - g.origin) / g.interval)
	if pts < g.origin {
		slot-- // floor for negative offsets
	}
	for ; g.top < slot; g.top++ {
		g.taken[(g.top+1)%gateSlots] = false
	}
	if g.top-slot >= gateSlots {
		return false // older than the window: reordered far too much
	}
	i := (slot%gateSlots + gateSlots) % gateSlots
	if g.taken[i] {
		return false
	}
	g.taken[i] = true
	return true
}

// untilNext is how much presentation time lies between pts and the start
// of the next slot: how long a picture not analysed can wait before the
// next one to analyse follows it (0 before the schedule starts).
func (g *rateGate) untilNext(pts time.Duration) time.Duration {
	if !g.started || g.interval <= 0 {
		return 0
	}
	d := g.interval - (pts-g.origin)%g.interval
	if pts < g.origin {
		d = (g.origin - pts) % g.interval
	}
	return min(max(d, 0), g.interval)
}

// reset forgets the schedule (codec change, new stream).
func (g *rateGate) reset() { g.started = false }

// wallClock maps presentation times (RTP timestamps) to wall-clock time,
// once per session: the first unit's arrival time minus its PTS is the
// base, so frame times follow the camera's clock, not the network's
// jitter, and keep the presentation order. A PTS far from what the
// arrival time predicts (a camera that reset its clock) maps again.
// Times handed out never go backwards.
type wallClock struct {
	base time.Time
	last time.Time // last time handed out
}

// remapAfter is how far mapped and arrival times may drift apart before
// the mapping is made again.
const remapAfter = 10 * time.Second

// at returns the wall-clock time of a unit with pts that arrived at
// received (zero received: zero time).
func (c *wallClock) at(pts time.Duration, received time.Time) time.Time {
	if received.IsZero() {
		return time.Time{}
	}
	t := c.base.Add(pts)
	if c.base.IsZero() || t.Sub(received) > remapAfter || received.Sub(t) > remapAfter {
		c.base = received.Add(-pts)
		t = received
	}
	return t
}

// monotonic returns t, or just after the last time returned when t is not
// after it.
func (c *wallClock) monotonic(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if !c.last.IsZero() && !t.After(c.last) {
		t = c.last.Add(time.Microsecond)
	}
	c.last = t
	return t
}

// Decode modes (Config.Decode).
const (
	ModeFull      = "full"
	ModeKeyframes = "keyframes"
	ModeAuto      = "auto"
)

// modeControl is the auto decode mode: keyframes when the wanted analysis
// rate is at or below the keyframe rate, else full; under pressure (drops
// in pressureTicks consecutive ticks) keyframes until there has been
// headroom for hold, which doubles each time pressure returns soon after.
type modeControl struct {
	fps           float64 // wanted analysis rate
	pressureTicks int
	minHold       time.Duration
	maxHold       time.Duration

	// rnd (0–1), when set, spreads the decisions of cameras that share a
	// CPU: each needs a random number of extra pressure ticks (up to twice
	// pressureTicks) before stepping down, so the first ones to step down
	// can relieve the others, and waits a random extra half hold before
	// stepping up, so they come back one by one.
	rnd func() float64

	gop       time.Duration // measured keyframe interval, 0 until known
	pressured int           // consecutive ticks with drops
	need      int           // pressure ticks needed in this episode
	down      bool          // stepped down for pressure
	downAt    time.Time
	upAt      time.Time     // last step back up
	hold      time.Duration // current hold (doubles on repeated pressure)
	wait      time.Duration // hold plus jitter for this step-down
}

func (m *modeControl) random() float64 {
	if m.rnd == nil {
		return 0
	}
	return m.rnd()
}

// keyframesEnough reports whether keyframes alone give the wanted rate.
func (m *modeControl) keyframesEnough() bool {
	return m.gop > 0 && m.fps*m.gop.Seconds() <= 1.0001
}

// tick is called about once a second with whether frames were dropped for
// lack of decode capacity since the last tick, and whether the machine
// has CPU to spare. It returns the mode to use.
func (m *modeControl) tick(now time.Time, dropped, headroom bool) string {
	if dropped {
		m.pressured++
	} else {
		m.pressured, m.need = 0, 0
	}
	if m.need == 0 {
		m.need = m.pressureTicks + int(m.random()*float64(2*m.pressureTicks))
	}
	if m.keyframesEnough() {
		m.down = false
		return ModeKeyframes
	}
	switch {
	case !m.down && m.pressured >= m.need:
		m.down = true
		m.downAt = now
		// Pressure soon after stepping up: wait longer next time.
		if m.hold == 0 || now.Sub(m.upAt) > 2*m.hold {
			m.hold = m.minHold
		} else {
			m.hold = min(2*m.hold, m.maxHold)
		}
		m.wait = m.hold + time.Duration(m.random()*float64(m.hold)/2)
	case m.down && !dropped && now.Sub(m.downAt) >= m.wait && headroom:
		m.down = false
		m.upAt = now
	case m.down && dropped:
		m.downAt = now
	}
	if m.down {
		return ModeKeyframes
	}
	return ModeFull
}

// cpuMeter measures the share of the machine's CPU the process used
// between two calls.
type cpuMeter struct {
	cpu  time.Duration
	wall time.Time
}

// processCPU returns the user+system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// busy returns the fraction (0–1) of the CPUs the process may use that it
// used since the last call. GOMAXPROCS follows the cgroup's CPU limit
// (Docker --cpus, systemd CPUQuota) since Go 1.25, where NumCPU counts
// every core of the machine.
func (c *cpuMeter) busy() float64 {
	cpu, now := processCPU(), time.Now()
	defer func() { c.cpu, c.wall = cpu, now }()
	if c.wall.IsZero() {
		return 1
	}
	wall := now.Sub(c.wall)
	if wall <= 0 {
		return 1
	}
	return float64(cpu-c.cpu) / float64(wall) / float64(runtime.GOMAXPROCS(0))
}
