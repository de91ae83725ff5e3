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

// RuleScore is the score of one rule and direction (and class, when the
// truth gives classes for the rule).
type RuleScore struct {
	Rule      string  `json:"rule"`
	Direction string  `json:"direction"`
	Class     string  `json:"class,omitempty"`
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
}

// Report is the outcome of Score, in the shape `pantau eval --json`
// prints.
type Report struct {
	Rules   []RuleScore `json:"rules"`
	Overall Overall     `json:"overall"`
	// Unscored counts events of rules and directions the truth does not
	// cover; they are not held against the analytics.
	Unscored int `json:"-"`
}

type key struct{ rule, dir, class string }

// pairs maps a direction to the other one of its pair: a truth file that
// labels one direction of a line (or zone) is taken to label both.
var pairs = map[string]string{"in": "out", "out": "in", "enter": "exit", "exit": "enter"}

// Score matches counted to truth and scores every rule and direction the
// truth covers: the (rule, direction[, class]) keys present in it, each
// with its paired direction (in/out, enter/exit). Within a key, events are
// matched one to one, in time order, when they are at most tol apart —
// for equal-width windows this greedy matching is a maximum matching.
// Precision is matched/counted (1 when nothing was counted), recall
// matched/truth (1 when there is no truth), F1 their harmonic mean.
func Score(truth []Truth, counted []Counted, tol time.Duration) Report {
	byClass := map[string]bool{}
	for _, t := range truth {
		if t.Class != "" {
			byClass[t.Rule] = true
		}
	}
	keyOf := func(rule, dir, class string) key {
		if !byClass[rule] {
			class = ""
		}
		return key{rule, dir, class}
	}
	truths := map[key][]Truth{}
	for _, t := range truth {
		k := keyOf(t.Rule, t.Direction, t.Class)
		truths[k] = append(truths[k], t)
		if p, ok := pairs[k.dir]; ok {
			pk := key{k.rule, p, k.class}
			if _, seen := truths[pk]; !seen {
				truths[pk] = nil
			}
		}
	}
	counts := map[key][]Counted{}
	var rep Report
	for _, c := range counted {
		k := keyOf(c.Rule, c.Direction, c.Class)
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
		if a.dir != b.dir {
			return a.dir < b.dir
		}
		return a.class < b.class
	})
	var matched, absErr int
	for _, k := range keys {
		rs := match(truths[k], counts[k], tol.Seconds())
		rs.Rule, rs.Direction, rs.Class = k.rule, k.dir, k.class
		rep.Rules = append(rep.Rules, rs)
		rep.Overall.Truth += rs.Truth
		rep.Overall.Counted += rs.Counted
		matched += rs.Matched
		absErr += abs(rs.Counted - rs.Truth)
	}
	o := &rep.Overall
	o.Precision, o.Recall, o.F1 = prf(matched, o.Counted, o.Truth)
	o.CountError = float64(absErr) / float64(max(1, o.Truth))
	if rep.Rules == nil {
		rep.Rules = []RuleScore{}
	}
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
