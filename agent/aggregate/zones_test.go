package aggregate

import (
	"reflect"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/vision"
)

func TestZoneStatsAndTotals(t *testing.T) {
	a, c := newAgg(t, t0, 10*time.Second, nil, []string{"plaza", "yard"})
	var r vision.Result
	// occupancy of plaza per frame (persons, cars) and the events of that frame
	type fr struct {
		d        time.Duration
		per, car int
		evs      []vision.Event
	}
	feed := []fr{
		{sec(1), 0, 0, nil},
		{sec(2), 1, 0, []vision.Event{zoneEv(vision.EventZoneEnter, sec(2), "plaza", "person", 1, 0)}},
		{sec(3), 2, 0, []vision.Event{zoneEv(vision.EventZoneEnter, sec(3), "plaza", "person", 2, 0)}},
		{sec(4), 2, 1, []vision.Event{zoneEv(vision.EventZoneEnter, sec(4), "plaza", "car", 3, 0)}},
		{sec(5), 1, 1, []vision.Event{zoneEv(vision.EventZoneExit, sec(5), "plaza", "person", 1, sec(3))}},
		{sec(6), 0, 1, []vision.Event{
			zoneEv(vision.EventZoneExit, sec(6), "plaza", "person", 2, sec(3.5)),
			zoneEv(vision.EventLoiter, sec(6), "plaza", "car", 3, sec(2)),
		}},
		// next interval
		{sec(11), 0, 1, nil},
		{sec(12), 0, 0, []vision.Event{zoneEv(vision.EventZoneExit, sec(12), "plaza", "car", 3, sec(8))}},
	}
	for _, f := range feed {
		r.Reset(at(f.d))
		r.Events = append(r.Events, f.evs...)
		r.Occupancy = append(r.Occupancy,
			vision.ZoneOccupancy{Zone: "plaza", ByClass: map[string]int{"person": f.per, "car": f.car}},
			vision.ZoneOccupancy{Zone: "yard", ByClass: map[string]int{"person": 0}})
		a.Add(&r)
	}
	a.Flush(at(sec(15)))
	ks := c.counts()
	if len(ks) != 2 {
		t.Fatalf("%d counts, want 2", len(ks))
	}
	m := func(kv ...any) map[string]int {
		out := map[string]int{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1].(int)
		}
		return out
	}
	want := [][]event.ZoneStats{
		{
			// totals per frame 0,1,2,3,2,1 → max 3, avg 9/6
			{Rule: "plaza", Max: 3, Avg: 1.5, Entries: m("person", 2, "car", 1), Exits: m("person", 2),
				MeanDwellS: map[string]float64{"person": 3.25}},
			{Rule: "yard", Entries: m(), Exits: m(), MeanDwellS: map[string]float64{}},
		},
		{
			{Rule: "plaza", Max: 1, Avg: 0.5, Entries: m(), Exits: m("car", 1), MeanDwellS: map[string]float64{"car": 8}},
			{Rule: "yard", Entries: m(), Exits: m(), MeanDwellS: map[string]float64{}},
		},
	}
	wantTotals := []event.ZoneTotals{
		{Rule: "plaza", Entries: m("person", 2, "car", 1), Exits: m("person", 2, "car", 1)},
		{Rule: "yard", Entries: m(), Exits: m()},
	}
	for i, k := range ks {
		if !reflect.DeepEqual(k.Zones, want[i]) {
			t.Errorf("interval %d zones\n got %+v\nwant %+v", i, k.Zones, want[i])
		}
	}
	if !reflect.DeepEqual(ks[1].Totals.Zones, wantTotals) {
		t.Errorf("totals\n got %+v\nwant %+v", ks[1].Totals.Zones, wantTotals)
	}
	if ks[0].Events["loiter"] != 1 || ks[0].Events["zone_enter"] != 3 || ks[0].Events["zone_exit"] != 2 {
		t.Errorf("events %v", ks[0].Events)
	}
}

func TestOccupancyOnlyOnChange(t *testing.T) {
	a, c := newAgg(t, t0, time.Minute, nil, nil)
	// One Result and one ByClass map reused across frames, as an analyzer
	// may do: the aggregator must copy, not keep them.
	byClass := map[string]int{}
	var r vision.Result
	type step struct {
		person, car int
		report      bool // the zone analyzer ran on this frame
	}
	steps := []step{
		{0, 0, true},  // first report: published
		{0, 0, true},  // same
		{1, 0, true},  // change
		{1, 0, true},  // same
		{1, 0, false}, // not reported: nothing
		{1, 0, true},  // same as last published
		{2, 1, true},  // change
		{2, 1, true},  // same
		{0, 0, true},  // change
	}
	for i, s := range steps {
		r.Reset(at(time.Duration(i) * time.Second))
		byClass["person"], byClass["car"] = s.person, s.car
		if s.report {
			r.Occupancy = append(r.Occupancy, vision.ZoneOccupancy{Zone: "plaza", ByClass: byClass})
		}
		a.Add(&r)
	}
	var got []map[string]int
	var totals []int
	for _, o := range c.occupancy() {
		if len(o.Zones) != 1 || o.Zones[0].Rule != "plaza" {
			t.Fatalf("zones %+v", o.Zones)
		}
		got = append(got, o.Zones[0].ByClass)
		totals = append(totals, o.Zones[0].Total)
	}
	want := []map[string]int{{}, {"person": 1}, {"person": 2, "car": 1}, {}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(totals, []int{0, 1, 3, 0}) {
		t.Fatalf("occupancy messages %v totals %v, want %v [0 1 3 0]", got, totals, want)
	}
	m := c.msgs[0]
	if m.Subtopic != "cam1/occupancy" || !m.Retained || m.Durable {
		t.Errorf("occupancy flags %+v", m)
	}
	if o := c.occupancy()[2]; o.TS != "2026-11-27T10:00:06.000Z" {
		t.Errorf("occupancy ts %s, want the frame time", o.TS)
	}
}

// BenchmarkAddSteady measures Add for a frame with motion, tracks and
// two zones' occupancy but no events and no change: the per-frame cost the
// pipeline pays. It should not allocate.
func BenchmarkAddSteady(b *testing.B) {
	a := New(Config{Site: "s", Agent: "a", Camera: "c", Interval: time.Hour, Now: func() time.Time { return t0 }},
		func(event.Message) {})
	occ := []vision.ZoneOccupancy{
		{Zone: "plaza", ByClass: map[string]int{"person": 2, "car": 0}},
		{Zone: "yard", ByClass: map[string]int{"person": 1}},
	}
	var r vision.Result
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Reset(t0.Add(time.Duration(i) * 40 * time.Millisecond % time.Hour))
		r.Motion = i%2 == 0
		r.Occupancy = append(r.Occupancy, occ...)
		a.Add(&r)
	}
}
