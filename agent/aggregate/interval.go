package aggregate

import (
	"maps"
	"time"

	"github.com/pantau/pantau/agent/event"
)

// interval accumulates one counts interval. Its maps are handed to the
// counts message when it closes and replaced by fresh ones.
type interval struct {
	start  time.Time
	frames int
	motion time.Duration
	events map[string]int
	lines  map[string]*lineAcc
	zones  map[string]*zoneAcc
}

func (iv *interval) reset(start time.Time) {
	*iv = interval{start: start, events: map[string]int{}, lines: map[string]*lineAcc{}, zones: map[string]*zoneAcc{}}
}

func (iv *interval) line(rule string) *lineAcc {
	l, ok := iv.lines[rule]
	if !ok {
		l = newLineAcc()
		iv.lines[rule] = l
	}
	return l
}

func (iv *interval) zone(rule string) *zoneAcc {
	z, ok := iv.zones[rule]
	if !ok {
		z = &zoneAcc{entries: map[string]int{}, exits: map[string]int{}, dwell: map[string]time.Duration{}}
		iv.zones[rule] = z
	}
	return z
}

// lineAcc is crossings per direction and class.
type lineAcc struct{ in, out map[string]int }

func newLineAcc() *lineAcc { return &lineAcc{in: map[string]int{}, out: map[string]int{}} }

func (l *lineAcc) add(direction, class string) {
	switch direction {
	case "in":
		l.in[class]++
	case "out":
		l.out[class]++
	}
}

// zoneAcc is one zone over one interval: occupancy over the frames that
// reported the zone, and entries, exits and summed exit dwell per class.
type zoneAcc struct {
	frames, sum, max int
	entries, exits   map[string]int
	dwell            map[string]time.Duration
}

// frame folds one frame's occupancy of the zone in.
func (z *zoneAcc) frame(byClass map[string]int) {
	n := 0
	for _, v := range byClass {
		n += v
	}
	z.frames++
	z.sum += n
	z.max = max(z.max, n)
}

// zoneTotals is a zone's running entries and exits per class.
type zoneTotals struct{ entries, exits map[string]int }

// counts builds the counts body of the current interval ending at end.
func (a *Aggregator) counts(end time.Time, partial bool) event.Counts {
	iv := &a.cur
	c := event.Counts{
		Start:          event.Timestamp(iv.start),
		End:            event.Timestamp(end),
		IntervalS:      end.Sub(iv.start).Seconds(),
		Partial:        partial,
		FramesAnalysed: iv.frames,
		MotionS:        round3(iv.motion.Seconds()),
		Events:         iv.events,
		Lines:          make([]event.LineCount, 0, len(a.lineList)),
		Zones:          make([]event.ZoneStats, 0, len(a.zoneList)),
		TotalsSince:    event.Timestamp(a.since),
		Totals: event.Totals{
			Lines: make([]event.LineCount, 0, len(a.lineList)),
			Zones: make([]event.ZoneTotals, 0, len(a.zoneList)),
		},
	}
	for _, rule := range a.lineList {
		lc := event.LineCount{Rule: rule, In: map[string]int{}, Out: map[string]int{}}
		if l := iv.lines[rule]; l != nil {
			lc.In, lc.Out = l.in, l.out
		}
		c.Lines = append(c.Lines, lc)
		t := a.totLines[rule]
		c.Totals.Lines = append(c.Totals.Lines, event.LineCount{Rule: rule, In: maps.Clone(t.in), Out: maps.Clone(t.out)})
	}
	for _, rule := range a.zoneList {
		zs := event.ZoneStats{Rule: rule, Entries: map[string]int{}, Exits: map[string]int{}, MeanDwellS: map[string]float64{}}
		if z := iv.zones[rule]; z != nil {
			zs.Max, zs.Entries, zs.Exits = z.max, z.entries, z.exits
			if z.frames > 0 {
				zs.Avg = round3(float64(z.sum) / float64(z.frames))
			}
			for class, d := range z.dwell {
				if n := z.exits[class]; n > 0 {
					zs.MeanDwellS[class] = round3(d.Seconds() / float64(n))
				}
			}
		}
		c.Zones = append(c.Zones, zs)
		t := a.totZones[rule]
		c.Totals.Zones = append(c.Totals.Zones, event.ZoneTotals{Rule: rule, Entries: maps.Clone(t.entries), Exits: maps.Clone(t.exits)})
	}
	return c
}

// round3 rounds seconds and averages to milliseconds/thousandths, which is
// all a payload needs and keeps float noise out of the JSON.
func round3(x float64) float64 {
	const k = 1000
	if x < 0 {
		return -float64(int64(-x*k+0.5)) / k
	}
	return float64(int64(x*k+0.5)) / k
}
