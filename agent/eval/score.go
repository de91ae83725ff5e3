package eval

import (
	"math"
	"sort"
	"time"

	"github.com/pantau/pantau/vision"
)

// TamperRule is the rule name tamper events are scored under.
const TamperRule = "tamper"

// DefaultTolerance is how far a counted event's time may be from a true
// one's to match it.
const DefaultTolerance = time.Second

// Counted is an event the analytics reported, in truth terms (see Truth).
type Counted struct {
	Time                   float64 // seconds from the clip start
	Rule, Direction, Class string
	Track                  int
	Type                   string // the vision event type
}

// FromEvent turns an analyzer event into a Counted, start being the time
// of the clip's first frame. Motion events and tamper clearings have no
// truth counterpart: ok is false for them.
func FromEvent(e vision.Event, start time.Time) (c Counted, ok bool) {
	c = Counted{Time: e.Time.Sub(start).Seconds(), Rule: e.Rule, Class: e.Class, Track: e.Track, Type: e.Type}
	switch e.Type {
	case vision.EventLineCross:
		c.Direction = e.Direction
	case vision.EventZoneEnter:
		c.Direction = "enter"
	case vision.EventZoneExit:
		c.Direction = "exit"
	case vision.EventLoiter:
		c.Direction = "loiter"
	case vision.EventIntrusion:
		c.Direction = "intrusion"
	case vision.EventTamper:
		if e.State != "raised" {
			return c, false
		}
		c.Rule, c.Direction = TamperRule, e.Kind
	default:
		return c, false
	}
	return c, true
}

// Window keeps the truth and counted events with from ≤ time < to (to ≤ 0
// means no upper bound): for truth that labels only a stretch of a clip.
func Window(truth []Truth, counted []Counted, from, to float64) ([]Truth, []Counted) {
	in := func(t float64) bool { return t >= from && (to <= 0 || t < to) }
	var ts []Truth
	for _, t := range truth {
		if in(t.Time) {
			ts = append(ts, t)
		}
	}
	var cs []Counted
	for _, c := range counted {
		if in(c.Time) {
			cs = append(cs, c)
		}
	}
	return ts, cs
}

// RuleScore is the score of one rule and direction. Counted events match
// true ones whatever their classes; the class rows (ClassScore) say how
// well the matched ones were classed.
type RuleScore struct {
	Rule      string  `json:"rule"`
	Direction string  `json:"direction"`
	Truth     int     `json:"truth"`
	Counted   int     `json:"counted"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Matched is how many counted events matched a true one.
	Matched int `json:"-"`
	// Misses are the true events nothing matched; FalseAlarms the counted
	// events that matched nothing.
	Misses      []Truth   `json:"-"`
	FalseAlarms []Counted `json:"-"`
	// pairs are the matches, in time order of the truth.
	pairs []pair
}

// pair is one true event and the counted event that matched it.
type pair struct {
	t Truth
	c Counted
}

// Overall sums the scored rules.
type Overall struct {
	Truth     int     `json:"truth"`
	Counted   int     `json:"counted"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// CountError is Σ|counted − truth| over the scored rules divided by
	// Σ truth (by 1 when there is no truth): 0 is perfect counting.
	CountError float64 `json:"count_error"`
	// Classed is the share of matched events whose counted class is the
	// true one, over the matches of true events that have a class; it is
	// left out when the truth has no classes.
	Classed *float64 `json:"classed,omitempty"`
}

// Report is the outcome of Score, in the shape `pantau eval --json`
// prints.
type Report struct {
	Rules []RuleScore `json:"rules"`
	// Lines sums both directions of each line (rules scored in/out).
	Lines []LineScore `json:"lines"`
	// Classes has one row per class in the truth or in the counted
	// events, when the truth has classes.
	Classes []ClassScore `json:"classes,omitempty"`
	Overall Overall      `json:"overall"`
	// Unscored counts events of rules and directions the truth does not
	// cover; they are not held against the analytics.
	Unscored int `json:"-"`
}

type key struct{ rule, dir string }

// pairs maps a direction to the other one of its pair: a truth file that
// labels one direction of a line (or zone) is taken to label both.
var pairs = map[string]string{"in": "out", "out": "in", "enter": "exit", "exit": "enter"}

// Score matches counted to truth and scores every rule and direction the
// truth covers: the (rule, direction) keys present in it, each with its
// paired direction (in/out, enter/exit). Within a key, events are matched
// one to one, in time order, when they are at most tol apart, whatever
// their classes — for equal-width windows this greedy matching is a
// maximum matching. Precision is matched/counted (1 when nothing was
// counted), recall matched/truth (1 when there is no truth), F1 their
// harmonic mean. Lines and, when the truth has classes, Classes summarise
// the same matches per line and per class.
func Score(truth []Truth, counted []Counted, tol time.Duration) Report {
	truths := map[key][]Truth{}
	for _, t := range truth {
		k := key{t.Rule, t.Direction}
		truths[k] = append(truths[k], t)
		if p, ok := pairs[k.dir]; ok {
			pk := key{k.rule, p}
			if _, seen := truths[pk]; !seen {
				truths[pk] = nil
			}
		}
	}
	counts := map[key][]Counted{}
	var rep Report
	for _, c := range counted {
		k := key{c.Rule, c.Direction}
		if _, scored := truths[k]; !scored {
			rep.Unscored++
			continue
		}
		counts[k] = append(counts[k], c)
	}
	keys := make([]key, 0, len(truths))
	for k := range truths {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		return a.dir < b.dir
	})
	var matched, absErr int
	for _, k := range keys {
		rs := match(truths[k], counts[k], tol.Seconds())
		rs.Rule, rs.Direction = k.rule, k.dir
		rep.Rules = append(rep.Rules, rs)
		rep.Overall.Truth += rs.Truth
		rep.Overall.Counted += rs.Counted
		matched += rs.Matched
		absErr += abs(rs.Counted - rs.Truth)
	}
	o := &rep.Overall
	o.Precision, o.Recall, o.F1 = prf(matched, o.Counted, o.Truth)
	o.CountError = round(float64(absErr) / float64(max(1, o.Truth)))
	if rep.Rules == nil {
		rep.Rules = []RuleScore{}
	}
	rep.Lines = lineScores(rep.Rules)
	rep.Classes, o.Classed = classScores(truth, rep.Rules)
	return rep
}

func match(truth []Truth, counted []Counted, tol float64) RuleScore {
	sort.SliceStable(truth, func(i, j int) bool { return truth[i].Time < truth[j].Time })
	sort.SliceStable(counted, func(i, j int) bool { return counted[i].Time < counted[j].Time })
	used := make([]bool, len(counted))
	rs := RuleScore{Truth: len(truth), Counted: len(counted)}
	lo := 0
	for _, t := range truth {
		for lo < len(counted) && counted[lo].Time < t.Time-tol-1e-9 {
			lo++
		}
		hit := false
		for j := lo; j < len(counted) && counted[j].Time <= t.Time+tol+1e-9; j++ {
			if !used[j] {
				used[j], hit = true, true
				rs.Matched++
				rs.pairs = append(rs.pairs, pair{t, counted[j]})
				break
			}
		}
		if !hit {
			rs.Misses = append(rs.Misses, t)
		}
	}
	for j, u := range used {
		if !u {
			rs.FalseAlarms = append(rs.FalseAlarms, counted[j])
		}
	}
	rs.Precision, rs.Recall, rs.F1 = prf(rs.Matched, rs.Counted, rs.Truth)
	return rs
}

func prf(matched, counted, truth int) (p, r, f1 float64) {
	p, r = 1, 1
	if counted > 0 {
		p = float64(matched) / float64(counted)
	}
	if truth > 0 {
		r = float64(matched) / float64(truth)
	}
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return round(p), round(r), round(f1)
}

// round keeps 4 decimals, so reports are stable and readable.
func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
