package scenario

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/count"
)

// TruthEvent is one event the analytics should report. Rule is a line or
// zone name, or "tamper"; Direction is "in"/"out" for lines, "enter",
// "exit", "loiter" or "intrusion" for zones, and the tamper kind ("covered",
// "defocus") for tamper.
type TruthEvent struct {
	Time            float64 // seconds from the clip start
	Rule, Direction string
}

// truthStep is the time resolution of Truth, in seconds.
const truthStep = 0.001

// Truth derives the ground truth of s from its script:
//
//   - a line crossing when an object's anchor, having been strictly on one
//     side of a line segment, is strictly on the other side, having passed
//     through the segment (so standing on the line and then going on counts
//     once, when it leaves the line);
//   - zone enter and exit when the anchor goes into or out of the polygon,
//     exit also when the object leaves the clip inside the zone, loiter
//     LoiterAfter after entering if it is still inside, and intrusion the
//     first moment of a visit the zone's Armed schedule holds (read at
//     s.Start plus the clip time);
//   - a tamper event for each cover (covered) and blur (defocus) effect,
//     at its start plus tamperHold, the hold time the tamper analyzer
//     waits before raising.
//
// Times are found by stepping each path in 1 ms steps. Sway is drawing
// jitter, not movement, and does not change the truth.
func Truth(s Scenario, lines []count.LineConfig, zones []count.ZoneConfig, tamperHold time.Duration) []TruthEvent {
	var out []TruthEvent
	for _, o := range s.Objects {
		t0, t1 := o.Path[0].T, o.Path[len(o.Path)-1].T
		steps := int(math.Round((t1 - t0) / truthStep))
		for _, l := range lines {
			for i := 0; i+1 < len(l.Points); i++ {
				out = append(out, segmentCrossings(o, l.Name, l.Points[i], l.Points[i+1], t0, steps, l.Reverse)...)
			}
		}
		for _, z := range zones {
			out = append(out, zoneVisits(o, z, t0, steps, s.start())...)
		}
	}
	for _, e := range s.Effects {
		at := e.From + tamperHold.Seconds()
		switch e.Kind {
		case EffectCover:
			out = append(out, TruthEvent{at, "tamper", "covered"})
		case EffectBlur:
			out = append(out, TruthEvent{at, "tamper", "defocus"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time < out[j].Time })
	return out
}

// within reports whether p's projection falls on the segment ab.
func within(a, b, p vision.Point) bool {
	dx, dy := b.X-a.X, b.Y-a.Y
	f := ((p.X-a.X)*dx + (p.Y-a.Y)*dy) / (dx*dx + dy*dy)
	return f >= 0 && f <= 1
}

func segmentCrossings(o Object, rule string, a, b vision.Point, t0 float64, steps int, reverse bool) []TruthEvent {
	var out []TruthEvent
	last := 0
	var prev vision.Point
	for k := 0; k <= steps; k++ {
		t := t0 + float64(k)*truthStep
		p, _ := o.At(t)
		s := vision.Side(a, b, p)
		if s != 0 && last != 0 && s != last && (within(a, b, p) || within(a, b, prev)) {
			dir := "in"
			if (last > 0) == reverse {
				dir = "out"
			}
			out = append(out, TruthEvent{math.Round(t*100) / 100, rule, dir})
		}
		if s != 0 {
			last = s
		}
		prev = p
	}
	return out
}

func zoneVisits(o Object, z count.ZoneConfig, t0 float64, steps int, start time.Time) []TruthEvent {
	var out []TruthEvent
	inside, since, loitered, intruded := false, 0.0, false, false
	armed, _ := vision.ParseSchedule(z.Armed) // validated by count.NewZones in real use
	isArmed := func(t float64) bool {
		if armed.Empty() {
			return false
		}
		at := start.Add(time.Duration(t * float64(time.Second)))
		if z.Location != nil {
			at = at.In(z.Location)
		}
		return armed.Armed(at)
	}
	r := func(t float64) float64 { return math.Round(t*100) / 100 }
	for k := 0; k <= steps; k++ {
		t := t0 + float64(k)*truthStep
		p, _ := o.At(t)
		in := vision.InPolygon(p, z.Points)
		switch {
		case in && !inside:
			inside, since, loitered, intruded = true, t, false, false
			out = append(out, TruthEvent{r(t), z.Name, "enter"})
		case !in && inside:
			inside = false
			out = append(out, TruthEvent{r(t), z.Name, "exit"})
		}
		if inside && !intruded && isArmed(t) {
			intruded = true
			out = append(out, TruthEvent{r(t), z.Name, "intrusion"})
		}
		if inside && z.LoiterAfter > 0 && !loitered && t-since >= z.LoiterAfter.Seconds()-1e-9 {
			loitered = true
			out = append(out, TruthEvent{r(t), z.Name, "loiter"})
		}
	}
	if inside {
		out = append(out, TruthEvent{r(t0 + float64(steps)*truthStep), z.Name, "exit"})
	}
	return out
}

// WriteTruthCSV writes evs as the truth file pantau eval reads:
// a "time_s,rule,direction" header, then one row per event.
func WriteTruthCSV(w io.Writer, evs []TruthEvent) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "time_s,rule,direction")
	for _, e := range evs {
		fmt.Fprintf(bw, "%.2f,%s,%s\n", e.Time, e.Rule, e.Direction)
	}
	return bw.Flush()
}
