package aggregate

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/vision"
)

func TestIntervalBoundaries(t *testing.T) {
	// Start 10 s past a minute: the first interval is partial and ends at
	// the next full minute; later ones are aligned; no frames at all.
	a, c := newAgg(t, at(10*time.Second), time.Minute, nil, nil)
	for s := 10; s <= 185; s++ {
		a.Tick(at(time.Duration(s) * time.Second))
		a.Tick(at(time.Duration(s) * time.Second)) // a repeated tick changes nothing
		if s == 59 && len(c.msgs) != 0 {
			t.Fatalf("counts before the boundary: %v", c.subtopics())
		}
	}
	a.Flush(at(185 * time.Second))
	type iv struct {
		start, end string
		secs       float64
		partial    bool
	}
	var got []iv
	for _, k := range c.counts() {
		got = append(got, iv{k.Start, k.End, k.IntervalS, k.Partial})
		if k.FramesAnalysed != 0 || k.MotionS != 0 {
			t.Errorf("interval %s: frames %d motion %v, want 0 (no frames came)", k.Start, k.FramesAnalysed, k.MotionS)
		}
		if k.TS != k.End || k.TotalsSince != "2026-11-27T10:00:10.000Z" {
			t.Errorf("interval %s: ts %s totals_since %s", k.Start, k.TS, k.TotalsSince)
		}
	}
	want := []iv{
		{"2026-11-27T10:00:10.000Z", "2026-11-27T10:01:00.000Z", 50, true},
		{"2026-11-27T10:01:00.000Z", "2026-11-27T10:02:00.000Z", 60, false},
		{"2026-11-27T10:02:00.000Z", "2026-11-27T10:03:00.000Z", 60, false},
		{"2026-11-27T10:03:00.000Z", "2026-11-27T10:03:05.000Z", 5, true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("intervals\n got %+v\nwant %+v", got, want)
	}
	if c.msgs[0].Subtopic != "cam1/counts" || !c.msgs[0].Durable || c.msgs[0].Retained {
		t.Errorf("counts message flags: %+v", c.msgs[0])
	}
}

func TestCatchUpAfterLongStall(t *testing.T) {
	a, c := newAgg(t, t0, 10*time.Second, nil, nil)
	a.Tick(at(3 * time.Hour)) // 1080 intervals missed
	ks := c.counts()
	if len(ks) != maxCatchUp+1 {
		t.Fatalf("emitted %d counts after a 3 h stall, want %d", len(ks), maxCatchUp+1)
	}
	a.Tick(at(3*time.Hour + 10*time.Second))
	ks = c.counts()
	last := ks[len(ks)-1]
	if last.Start != "2026-11-27T13:00:00.000Z" || last.End != "2026-11-27T13:00:10.000Z" || last.Partial {
		t.Fatalf("interval after the jump: %s–%s partial %v", last.Start, last.End, last.Partial)
	}
}

func TestMotionSeconds(t *testing.T) {
	const step = 100 * time.Millisecond
	between := func(from, to float64) func(time.Duration) bool {
		return func(d time.Duration) bool { return d >= sec(from) && d < sec(to) }
	}
	cases := []struct {
		name   string
		feed   func(a *Aggregator)
		flush  time.Duration
		motion []float64 // motion_s per interval (10 s each)
		frames []int
	}{
		{"no motion", func(a *Aggregator) { frames(a, 0, sec(10), step, nil) }, sec(10), []float64{0}, []int{100}},
		{"two seconds at 10 fps", func(a *Aggregator) { frames(a, 0, sec(10), step, between(1, 3)) }, sec(10), []float64{2}, []int{100}},
		{"split at the boundary", func(a *Aggregator) { frames(a, 0, sec(20), step, between(9.5, 10.5)) }, sec(20), []float64{0.5, 0.5}, []int{100, 100}},
		{"motion until the end is held to the flush", func(a *Aggregator) { frames(a, 0, sec(5), step, between(4, 99)) }, sec(5), []float64{1}, []int{50}},
		{"stalled stream counts at most MaxFrameGap", func(a *Aggregator) {
			frames(a, sec(1), sec(1)+step, step, between(0, 99)) // one motion frame at 1 s
			for s := 2; s <= 20; s++ {
				a.Tick(at(time.Duration(s) * time.Second))
			}
		}, sec(20), []float64{5, 0}, []int{1, 0}},
		{"late frame adds nothing", func(a *Aggregator) {
			frames(a, sec(2), sec(3), step, between(0, 99))
			frames(a, sec(1), sec(1)+step, step, between(0, 99)) // out of order
			frames(a, sec(3), sec(4), step, nil)
		}, sec(10), []float64{1}, []int{21}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, c := newAgg(t, t0, 10*time.Second, nil, nil)
			tc.feed(a)
			a.Flush(at(tc.flush))
			var motion []float64
			var fr []int
			for _, k := range c.counts() {
				motion = append(motion, k.MotionS)
				fr = append(fr, k.FramesAnalysed)
			}
			if !slices.Equal(motion, tc.motion) || !slices.Equal(fr, tc.frames) {
				t.Fatalf("motion_s %v frames %v, want %v %v", motion, fr, tc.motion, tc.frames)
			}
		})
	}
}

func TestLineCountsAndTotals(t *testing.T) {
	a, c := newAgg(t, t0, 10*time.Second, []string{"mid", "east"}, nil)
	c.noValidate = true // one event below is bad on purpose; checked at the end
	var r vision.Result
	add := func(d time.Duration, evs ...vision.Event) {
		r.Reset(at(d))
		r.Events = append(r.Events, evs...)
		a.Add(&r)
	}
	add(sec(1), lineCross(sec(1), "mid", "in", "person", 1), lineCross(sec(1), "mid", "in", "person", 2))
	add(sec(2), lineCross(sec(2), "mid", "out", "car", 3))
	add(sec(12), lineCross(sec(12), "mid", "in", "person", 4), lineCross(sec(12), "west", "out", "person", 5))
	add(sec(13), lineCross(sec(13), "mid", "sideways", "person", 6)) // bad direction: event schema rejects it, counts ignore it
	a.Flush(at(sec(15)))
	ks := c.counts()
	if len(ks) != 2 {
		t.Fatalf("%d counts, want 2", len(ks))
	}
	type lc = event.LineCount
	m := func(kv ...any) map[string]int {
		out := map[string]int{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1].(int)
		}
		return out
	}
	wantLines := [][]lc{
		{{Rule: "mid", In: m("person", 2), Out: m("car", 1)}, {Rule: "east", In: m(), Out: m()}},
		{{Rule: "mid", In: m("person", 1), Out: m()}, {Rule: "east", In: m(), Out: m()}, {Rule: "west", In: m(), Out: m("person", 1)}},
	}
	wantTotals := [][]lc{
		{{Rule: "mid", In: m("person", 2), Out: m("car", 1)}, {Rule: "east", In: m(), Out: m()}},
		{{Rule: "mid", In: m("person", 3), Out: m("car", 1)}, {Rule: "east", In: m(), Out: m()}, {Rule: "west", In: m(), Out: m("person", 1)}},
	}
	for i, k := range ks {
		if !reflect.DeepEqual(k.Lines, wantLines[i]) {
			t.Errorf("interval %d lines\n got %+v\nwant %+v", i, k.Lines, wantLines[i])
		}
		if !reflect.DeepEqual(k.Totals.Lines, wantTotals[i]) {
			t.Errorf("interval %d totals\n got %+v\nwant %+v", i, k.Totals.Lines, wantTotals[i])
		}
	}
	if ks[0].Events["line_cross"] != 3 || ks[1].Events["line_cross"] != 3 {
		t.Errorf("events per interval: %v %v", ks[0].Events, ks[1].Events)
	}
	// The first totals must not change when later crossings are counted.
	if ks[0].Totals.Lines[0].In["person"] != 2 {
		t.Errorf("earlier totals were mutated: %+v", ks[0].Totals.Lines[0])
	}
	bad := 0
	for _, msg := range c.msgs {
		if event.ValidateMessage(msg) != nil {
			bad++
		}
	}
	if bad != 1 {
		t.Errorf("%d emitted messages fail validation, want exactly the bad-direction event", bad)
	}
}

func TestEventsPassThroughInOrder(t *testing.T) {
	a, c := newAgg(t, t0, 10*time.Second, nil, nil)
	var r vision.Result
	r.Reset(at(sec(1)))
	r.Events = append(r.Events,
		vision.Event{Type: vision.EventMotion, Time: at(sec(1)), State: "start", Area: 0.2},
		vision.Event{Type: vision.EventTamper, Time: at(sec(1)), Kind: "covered", State: "raised"},
		vision.Event{Type: "fire", Time: at(sec(1))},
	)
	a.Add(&r)
	r.Reset(at(sec(11))) // closes the first interval before this frame's event
	r.Events = append(r.Events, vision.Event{Type: vision.EventMotion, Time: at(sec(11)), State: "end"})
	a.Add(&r)
	want := []string{"cam1/event/motion", "cam1/event/tamper", "cam1/counts", "cam1/event/motion"}
	if got := c.subtopics(); !slices.Equal(got, want) {
		t.Fatalf("emitted %v, want %v", got, want)
	}
	if a.UnknownEvents() != 1 {
		t.Errorf("UnknownEvents %d, want 1", a.UnknownEvents())
	}
	mo := c.msgs[0].Body.(*event.Motion)
	if mo.State != "start" || mo.Area != 0.2 || mo.TS != "2026-11-27T10:00:01.000Z" || mo.Seq != 1 {
		t.Errorf("motion payload %+v", mo)
	}
	k := c.counts()[0]
	if !reflect.DeepEqual(k.Events, map[string]int{"motion": 1, "tamper": 1}) || k.Seq != 3 {
		t.Errorf("counts events %v seq %d", k.Events, k.Seq)
	}
}

func TestAddEventWithoutFrame(t *testing.T) {
	a, c := newAgg(t, t0, 10*time.Second, nil, nil)
	a.AddEvent(vision.Event{Type: vision.EventTamper, Time: at(sec(12)), Kind: "video_loss", State: "raised"})
	a.Flush(at(sec(15)))
	want := []string{"cam1/counts", "cam1/event/tamper", "cam1/counts"}
	if got := c.subtopics(); !slices.Equal(got, want) {
		t.Fatalf("emitted %v, want %v", got, want)
	}
	ks := c.counts()
	if ks[0].Events["tamper"] != 0 || ks[1].Events["tamper"] != 1 || ks[1].FramesAnalysed != 0 {
		t.Errorf("events %v / %v frames %d", ks[0].Events, ks[1].Events, ks[1].FramesAnalysed)
	}
}

// TestTickConcurrentWithAdd: the agent ticks from its own goroutine while
// the pipeline adds frames (run with -race); every frame is counted once.
func TestTickConcurrentWithAdd(t *testing.T) {
	a, c := newAgg(t, t0, time.Second, nil, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := 0; s <= 20; s++ {
			a.Tick(at(time.Duration(s) * time.Second))
		}
	}()
	frames(a, 0, sec(20), 50*time.Millisecond, nil)
	<-done
	a.Flush(at(sec(20)))
	total := 0
	for _, k := range c.counts() {
		total += k.FramesAnalysed
	}
	if total != 400 {
		t.Fatalf("%d frames counted, want 400", total)
	}
}
