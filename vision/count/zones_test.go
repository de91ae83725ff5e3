package count

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

var plaza = []vision.Point{{X: 0.1, Y: 0.4}, {X: 0.9, Y: 0.4}, {X: 0.9, Y: 0.9}, {X: 0.1, Y: 0.9}}

// runZones feeds paths starting at start, one frame per 100 ms, and returns
// "frame:type:rule:track[:dwell]" strings and the occupancy total per frame.
func runZones(t *testing.T, cfgs []ZoneConfig, start time.Time, paths map[int][]step) ([]string, []int) {
	t.Helper()
	z, err := NewZones(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var occTotal []int
	var evs []vision.Event
	var occ []vision.ZoneOccupancy
	for i, trs := range frames(paths) {
		now := start.Add(time.Duration(i) * time.Second / fps)
		evs, occ = z.Update(now, trs, evs[:0], occ[:0])
		if len(occ) != len(cfgs) {
			t.Fatalf("frame %d: %d occupancy entries for %d zones", i, len(occ), len(cfgs))
		}
		n := 0
		for _, c := range occ[0].ByClass {
			n += c
		}
		occTotal = append(occTotal, n)
		for _, e := range evs {
			s := fmt.Sprintf("%d:%s:%s:%d", i, e.Type, e.Rule, e.Track)
			if e.Type != vision.EventZoneEnter {
				s += ":" + e.Dwell.String()
			}
			got = append(got, s)
		}
	}
	return got, occTotal
}

func TestZones(t *testing.T) {
	basic := ZoneConfig{Name: "plaza", Points: plaza}
	loiter := basic
	loiter.LoiterAfter = 2 * time.Second
	armed := basic
	armed.Armed = "mon-fri 18:00-06:00"
	armedPeople := armed
	armedPeople.IntrusionClasses = []string{"car"}
	friNight := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC) // a Friday
	cases := []struct {
		name  string
		cfg   ZoneConfig
		start time.Time
		paths map[int][]step
		want  []string
	}{
		{"walk through: enter, exit with dwell", basic, t0, map[int][]step{
			1: walk(0.5, 0.1, 0.5, 0.99, 31),
		}, []string{"11:zone_enter:plaza:1", "28:zone_exit:plaza:1:1.7s"}},
		{"jitter on the edge enters once", basic, t0, map[int][]step{
			1: join(walk(0.5, 0.2, 0.5, 0.4, 10), jitter(0.5, 0.4, 0.01, 30), walk(0.5, 0.4, 0.5, 0.6, 10)),
		}, []string{"41:zone_enter:plaza:1"}},
		{"dropped track exits when the tracker drops it", basic, t0, map[int][]step{
			1: join(still(0.5, 0.6, 10), gap(5)),
		}, []string{"0:zone_enter:plaza:1", "10:zone_exit:plaza:1:900ms"}},
		{"lost track stays inside", basic, t0, map[int][]step{
			1: join(still(0.5, 0.6, 5), []step{{x: 0.5, y: 0.2, lost: true}, {x: 0.5, y: 0.2, lost: true}}, still(0.5, 0.6, 3)),
		}, []string{"0:zone_enter:plaza:1"}},
		{"loiter once per visit", loiter, t0, map[int][]step{
			1: join(still(0.5, 0.6, 40), walk(0.5, 0.6, 0.5, 0.1, 10), still(0.5, 0.1, 2), walk(0.5, 0.1, 0.5, 0.6, 10), still(0.5, 0.6, 25)),
		}, []string{"0:zone_enter:plaza:1", "20:loiter:plaza:1:2s", "44:zone_exit:plaza:1:4.4s",
			"58:zone_enter:plaza:1", "78:loiter:plaza:1:2s"}},
		{"short visit does not loiter", loiter, t0, map[int][]step{
			1: join(still(0.5, 0.6, 15), still(0.5, 0.2, 10)),
		}, []string{"0:zone_enter:plaza:1", "15:zone_exit:plaza:1:1.5s"}},
		{"intrusion when armed (Friday 23:00)", armed, friNight, map[int][]step{
			1: walk(0.5, 0.1, 0.5, 0.7, 20),
		}, []string{"11:zone_enter:plaza:1", "11:intrusion:plaza:1:0s"}},
		{"armed after midnight of an armed evening (Saturday 05:59)", armed, time.Date(2026, 11, 28, 5, 59, 0, 0, time.UTC), map[int][]step{
			1: walk(0.5, 0.1, 0.5, 0.7, 20),
		}, []string{"11:zone_enter:plaza:1", "11:intrusion:plaza:1:0s"}},
		{"disarmed on Saturday 06:00", armed, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC), map[int][]step{
			1: walk(0.5, 0.1, 0.5, 0.7, 20),
		}, []string{"11:zone_enter:plaza:1"}},
		{"disarmed Monday 03:00 (Sunday evening is not armed)", armed, time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC), map[int][]step{
			1: walk(0.5, 0.1, 0.5, 0.7, 20),
		}, []string{"11:zone_enter:plaza:1"}},
		{"arming while inside raises intrusion once", armed, time.Date(2026, 11, 27, 17, 59, 59, 0, time.UTC), map[int][]step{
			1: still(0.5, 0.6, 30),
		}, []string{"0:zone_enter:plaza:1", "10:intrusion:plaza:1:1s"}},
		{"intrusion class filter", armedPeople, friNight, map[int][]step{
			1: walk(0.5, 0.1, 0.5, 0.7, 20),
		}, []string{"11:zone_enter:plaza:1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := runZones(t, []ZoneConfig{c.cfg}, c.start, c.paths)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("events:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestZoneOccupancy(t *testing.T) {
	cfg := ZoneConfig{Name: "plaza", Points: plaza, Classes: []string{"person", "car"}}
	car := func(s []step) []step {
		for i := range s {
			s[i].class = "car"
		}
		return s
	}
	paths := map[int][]step{
		1: join(still(0.5, 0.6, 10), gap(10)),
		2: still(0.3, 0.7, 20),
		3: car(join(still(0.5, 0.2, 5), still(0.6, 0.6, 15))),
		4: func() []step { // a bike is not counted
			s := still(0.7, 0.7, 20)
			for i := range s {
				s[i].class = "bike"
			}
			return s
		}(),
	}
	z, err := NewZones([]ZoneConfig{cfg})
	if err != nil {
		t.Fatal(err)
	}
	var evs []vision.Event
	var occ []vision.ZoneOccupancy
	var prev map[string]int
	for i, trs := range frames(paths) {
		evs, occ = z.Update(frameTime(i), trs, evs[:0], occ[:0])
		got := occ[0].ByClass
		want := map[string]int{"person": 2, "car": 0}
		switch {
		case i >= 10:
			want = map[string]int{"person": 1, "car": 1}
		case i >= 5:
			want = map[string]int{"person": 2, "car": 1}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || occ[0].Zone != "plaza" {
			t.Fatalf("frame %d: occupancy %v %v, want %v", i, occ[0].Zone, got, want)
		}
		// Unchanged occupancy reuses the map; a change makes a new one
		// and leaves the old one as it was.
		if i == 7 && fmt.Sprintf("%p", got) != fmt.Sprintf("%p", prev) {
			t.Errorf("frame 7: occupancy map reallocated without change")
		}
		if i == 10 && fmt.Sprint(prev) != fmt.Sprint(map[string]int{"person": 2, "car": 1}) {
			t.Errorf("old occupancy map changed to %v", prev)
		}
		prev = got
	}
}

func TestZonesAllocs(t *testing.T) {
	z, err := NewZones([]ZoneConfig{{Name: "plaza", Points: plaza}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLines([]LineConfig{vline})
	if err != nil {
		t.Fatal(err)
	}
	trs := frames(map[int][]step{1: still(0.5, 0.6, 1), 2: still(0.3, 0.6, 1)})[0]
	evs := make([]vision.Event, 0, 8)
	occ := make([]vision.ZoneOccupancy, 0, 4)
	evs, occ = z.Update(t0, trs, evs, occ)
	n := testing.AllocsPerRun(100, func() {
		evs, occ = z.Update(t0.Add(time.Second), trs, evs[:0], occ[:0])
		evs = l.Update(t0.Add(time.Second), trs, evs[:0])
	})
	if n != 0 {
		t.Errorf("steady state allocates %v times per frame", n)
	}
}
