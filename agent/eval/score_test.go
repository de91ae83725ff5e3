package eval

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

func TestParseTruth(t *testing.T) {
	got, err := ParseTruth(strings.NewReader("# labelled by hand\ntime_s,rule,direction,class\n1.5,mid,in,person\n\n2,mid,out\n3.25, tamper, covered\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Truth{{1.5, "mid", "in", "person"}, {2, "mid", "out", ""}, {3.25, "tamper", "covered", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	bad := map[string]string{
		"":                                        "empty file",
		"time,rule,direction\n":                   `line 1: header "time,rule,direction"`,
		"time_s,rule,direction\nx,mid,in\n":       `line 2: time_s "x"`,
		"time_s,rule,direction\n-1,mid,in\n":      `line 2: time_s "-1"`,
		"time_s,rule,direction\n1,mid,up\n":       `line 2: direction "up"`,
		"time_s,rule,direction\n1,tamper,in\n":    `line 2: direction "in"`,
		"time_s,rule,direction\n1,,in\n":          "line 2: empty rule",
		"time_s,rule,direction\n1,mid\n":          "line 2: 2 fields",
		"time_s,rule,direction\n\n\n1,a,in,b,c\n": "line 4: 5 fields",
	}
	for in, want := range bad {
		if _, err := ParseTruth(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", in, err, want)
		}
	}
}

func TestFromEvent(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := start.Add(2500 * time.Millisecond)
	cases := []struct {
		e    vision.Event
		want string
		ok   bool
	}{
		{vision.Event{Type: vision.EventLineCross, Time: at, Rule: "mid", Direction: "out", Class: "person", Track: 3}, "2.5 mid out person 3", true},
		{vision.Event{Type: vision.EventZoneEnter, Time: at, Rule: "z"}, "2.5 z enter  0", true},
		{vision.Event{Type: vision.EventZoneExit, Time: at, Rule: "z"}, "2.5 z exit  0", true},
		{vision.Event{Type: vision.EventLoiter, Time: at, Rule: "z"}, "2.5 z loiter  0", true},
		{vision.Event{Type: vision.EventIntrusion, Time: at, Rule: "z"}, "2.5 z intrusion  0", true},
		{vision.Event{Type: vision.EventTamper, Time: at, Kind: "defocus", State: "raised"}, "2.5 tamper defocus  0", true},
		{vision.Event{Type: vision.EventTamper, Time: at, Kind: "defocus", State: "cleared"}, "", false},
		{vision.Event{Type: vision.EventMotion, Time: at, State: "start"}, "", false},
	}
	for _, c := range cases {
		got, ok := FromEvent(c.e, start)
		if ok != c.ok || (ok && strings.Join([]string{ftoa(got.Time), got.Rule, got.Direction, got.Class, itoa(got.Track)}, " ") != c.want) {
			t.Errorf("%+v: got %+v %v, want %q %v", c.e, got, ok, c.want, c.ok)
		}
	}
}

func TestScore(t *testing.T) {
	truth := []Truth{
		{10, "mid", "in", ""}, {20, "mid", "in", ""}, {20.5, "mid", "in", ""}, {30, "mid", "out", ""},
		{40, "bench", "loiter", ""},
	}
	counted := []Counted{
		{Time: 10.9, Rule: "mid", Direction: "in"},    // matches 10 (0.9 s late)
		{Time: 19.6, Rule: "mid", Direction: "in"},    // matches 20
		{Time: 21.4, Rule: "mid", Direction: "in"},    // matches 20.5
		{Time: 25, Rule: "mid", Direction: "in"},      // false alarm
		{Time: 31.2, Rule: "mid", Direction: "out"},   // too late: false alarm, 30 missed
		{Time: 40, Rule: "bench", Direction: "enter"}, // not labelled: unscored
		{Time: 45, Rule: "bench", Direction: "loiter"},
		{Time: 50, Rule: "other", Direction: "in"}, // unscored
	}
	rep := Score(truth, counted, DefaultTolerance)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rules":[` +
		`{"rule":"bench","direction":"loiter","truth":1,"counted":1,"precision":0,"recall":0,"f1":0},` +
		`{"rule":"mid","direction":"in","truth":3,"counted":4,"precision":0.75,"recall":1,"f1":0.8571},` +
		`{"rule":"mid","direction":"out","truth":1,"counted":1,"precision":0,"recall":0,"f1":0}],` +
		`"lines":[{"rule":"mid","truth":4,"counted":5,"precision":0.6,"recall":0.75,"f1":0.6667,"count_error":0.25}],` +
		`"overall":{"truth":5,"counted":6,"precision":0.5,"recall":0.6,"f1":0.5455,"count_error":0.2}}`
	if string(b) != want {
		t.Errorf("report\n got %s\nwant %s", b, want)
	}
	if rep.Unscored != 2 {
		t.Errorf("unscored %d, want 2", rep.Unscored)
	}
	in := rep.Rules[1]
	if len(in.FalseAlarms) != 1 || in.FalseAlarms[0].Time != 25 || len(in.Misses) != 0 {
		t.Errorf("mid in: misses %+v false alarms %+v", in.Misses, in.FalseAlarms)
	}
	if out := rep.Rules[2]; len(out.Misses) != 1 || out.Misses[0].Time != 30 {
		t.Errorf("mid out: misses %+v", out.Misses)
	}
}

func TestScoreEdges(t *testing.T) {
	// A labelled direction brings its pair: "out" events are scored
	// against zero truth, and nothing counted where nothing happened is
	// perfect.
	rep := Score([]Truth{{5, "mid", "in", ""}}, []Counted{{Time: 5, Rule: "mid", Direction: "in"}}, time.Second)
	if len(rep.Rules) != 2 || rep.Rules[1].Direction != "out" || rep.Rules[1].F1 != 1 || rep.Overall.F1 != 1 || rep.Overall.CountError != 0 {
		t.Errorf("%+v", rep)
	}
	// No truth at all: an empty (not null) rule list.
	b, _ := json.Marshal(Score(nil, []Counted{{Time: 1, Rule: "a", Direction: "in"}}, time.Second))
	if string(b) != `{"rules":[],"lines":[],"overall":{"truth":0,"counted":0,"precision":1,"recall":1,"f1":1,"count_error":0}}` {
		t.Errorf("empty: %s", b)
	}
	// One counted event cannot match two true ones.
	rep = Score([]Truth{{5, "m", "in", ""}, {5.5, "m", "in", ""}}, []Counted{{Time: 5.2, Rule: "m", Direction: "in"}}, time.Second)
	if rep.Rules[0].Matched != 1 || len(rep.Rules[0].Misses) != 1 {
		t.Errorf("double match: %+v", rep.Rules[0])
	}
}

func TestWindow(t *testing.T) {
	truth := []Truth{{0.5, "a", "in", ""}, {5, "a", "in", ""}, {47.5, "a", "in", ""}}
	counted := []Counted{{Time: 0.9, Rule: "a", Direction: "in"}, {Time: 5.2, Rule: "a", Direction: "in"}, {Time: 50, Rule: "a", Direction: "in"}}
	ts, cs := Window(truth, counted, 1, 47.5)
	if len(ts) != 1 || ts[0].Time != 5 || len(cs) != 1 || cs[0].Time != 5.2 {
		t.Errorf("window: %+v %+v", ts, cs)
	}
	if ts, cs = Window(truth, counted, 1, 0); len(ts) != 2 || len(cs) != 2 {
		t.Errorf("open window: %+v %+v", ts, cs)
	}
}

// TestScoreClasses: events match whatever their class; the class rows and
// the overall classed share say how many matches were counted as the true
// class, and the line rows sum both directions.
func TestScoreClasses(t *testing.T) {
	truth := []Truth{{5, "mid", "in", "car"}, {6, "mid", "in", "person"}, {8, "mid", "out", "person"}}
	counted := []Counted{
		{Time: 5.1, Rule: "mid", Direction: "in", Class: "person"},  // matches the car: classed wrong
		{Time: 6.2, Rule: "mid", Direction: "in", Class: "person"},  // matches the person
		{Time: 8.1, Rule: "mid", Direction: "out", Class: "object"}, // matches, classed wrong
		{Time: 12, Rule: "mid", Direction: "in", Class: "car"},      // false alarm
	}
	rep := Score(truth, counted, time.Second)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rules":[` +
		`{"rule":"mid","direction":"in","truth":2,"counted":3,"precision":0.6667,"recall":1,"f1":0.8},` +
		`{"rule":"mid","direction":"out","truth":1,"counted":1,"precision":1,"recall":1,"f1":1}],` +
		`"lines":[{"rule":"mid","truth":3,"counted":4,"precision":0.75,"recall":1,"f1":0.8571,"count_error":0.3333}],` +
		`"classes":[` +
		`{"class":"car","truth":1,"counted":1,"matched":1,"classed":0,"precision":0,"recall":0,"f1":0},` +
		`{"class":"object","truth":0,"counted":1,"matched":0,"classed":0,"precision":0,"recall":1,"f1":0},` +
		`{"class":"person","truth":2,"counted":2,"matched":2,"classed":1,"precision":0.5,"recall":0.5,"f1":0.5}],` +
		`"overall":{"truth":3,"counted":4,"precision":0.75,"recall":1,"f1":0.8571,"count_error":0.3333,"classed":0.3333}}`
	if string(b) != want {
		t.Errorf("report\n got %s\nwant %s", b, want)
	}
	var text strings.Builder
	writeScore(&text, &rep, time.Second)
	for _, line := range []string{
		"mid   3      4        33.3%        0.750      1.000   0.857",
		"person  2      2        2        1        0.500      0.500   0.500",
		"# 33.3% of the matched events were counted as their true class",
		"false alarm     12.00 mid in car track 0",
	} {
		if !strings.Contains(text.String(), line) {
			t.Errorf("text output lacks %q:\n%s", line, text.String())
		}
	}
	// A miss with an unmatched count near it (a late count) says so.
	text.Reset()
	late := Score([]Truth{{5, "mid", "in", ""}, {20, "mid", "in", ""}}, []Counted{{Time: 6.8, Rule: "mid", Direction: "in"}}, time.Second)
	writeScore(&text, &late, time.Second)
	if !strings.Contains(text.String(), "missed           5.00 mid in - (an unmatched count +1.8 s away)") ||
		!strings.Contains(text.String(), "missed          20.00 mid in -\n") {
		t.Errorf("late count not shown:\n%s", text.String())
	}
	// Two lines, one without truth on one side, and a zone that is not a
	// line: each line sums its own directions; the zone has no line row.
	rep = Score([]Truth{{1, "a", "in", ""}, {2, "a", "out", ""}, {3, "b", "out", ""}, {4, "z", "enter", ""}},
		[]Counted{{Time: 1, Rule: "a", Direction: "in"}, {Time: 3, Rule: "b", Direction: "out"}, {Time: 3.5, Rule: "b", Direction: "in"}}, time.Second)
	var got []string
	for _, l := range rep.Lines {
		got = append(got, l.Rule+":"+itoa(l.Truth)+"/"+itoa(l.Counted)+"/"+ftoa(l.Recall)+"/"+ftoa(l.CountError))
	}
	if strings.Join(got, " ") != "a:2/1/0.5/0.5 b:1/2/1/1" || rep.Classes != nil || rep.Overall.Classed != nil {
		t.Errorf("lines %v classes %+v classed %v", got, rep.Classes, rep.Overall.Classed)
	}
}
