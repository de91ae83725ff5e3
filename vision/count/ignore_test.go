package count

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// TestIgnoreWhileSettlingOrTampered runs Lines and Zones through their
// Analyze wrappers, as the pipeline does, with the flags earlier analyzers
// set: while the view settles after a switch to infrared (Settling) the
// bogus tracks of the switch cross nothing and enter nothing; while a
// tamper condition is pending (TamperPending) zones keep their occupancy
// and raise nothing, lines count on. Afterwards the zones take the tracks
// as they are, so a person the tracker renamed meanwhile neither leaves
// nor enters.
func TestIgnoreWhileSettlingOrTampered(t *testing.T) {
	door := LineConfig{Name: "door", Points: []vision.Point{{X: 0.05, Y: 0.6}, {X: 0.95, Y: 0.6}}}
	plazaZone := ZoneConfig{Name: "plaza", Points: plaza}
	// A person stands in the plaza all along: track 1, lost at the switch
	// (frame 10, the motion background restarts) and found again as track
	// 4. Another, track 5, is found again only after the view has settled
	// (confirmed late) as track 6. Track 2 is a ghost of the switch: it
	// sweeps down across the line into the plaza and is gone before the
	// view has settled; track 3 walks the same way afterwards.
	paths := map[int][]step{
		1: still(0.5, 0.8, 12),
		2: join(gap(10), walk(0.5, 0.1, 0.5, 0.8, 15), still(0.5, 0.8, 3)),
		3: join(gap(40), walk(0.5, 0.1, 0.5, 0.8, 20)),
		4: join(gap(20), still(0.45, 0.8, 40)),
		5: still(0.7, 0.8, 12),
		6: join(gap(33), still(0.7, 0.8, 27)),
	}
	cases := []struct {
		name      string
		flag      func(i int, r *vision.Result)
		want      string
		occAtSwap int // plaza occupancy on frame 25
		occAfter  int // and on frame 35
	}{
		{"no flags: everything counts", func(int, *vision.Result) {},
			"0:zone_enter:1 0:zone_enter:5 12:zone_exit:1 12:zone_exit:5 17:zone_enter:2 20:zone_enter:4 21:line_cross:2 28:zone_exit:2 33:zone_enter:6 49:zone_enter:3 55:line_cross:3", 2, 2},
		{"settling frames 10-29", func(i int, r *vision.Result) { r.Settling = i >= 10 && i < 30 },
			"0:zone_enter:1 0:zone_enter:5 49:zone_enter:3 55:line_cross:3", 2, 2},
		{"tamper pending frames 10-29", func(i int, r *vision.Result) { r.TamperPending = i >= 10 && i < 30 },
			"0:zone_enter:1 0:zone_enter:5 21:line_cross:2 49:zone_enter:3 55:line_cross:3", 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := NewLines([]LineConfig{door})
			if err != nil {
				t.Fatal(err)
			}
			z, err := NewZones([]ZoneConfig{plazaZone})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
			f := &frame.Frame{}
			var r vision.Result
			var got []string
			occ, after := -1, -1
			for i, trs := range frames(paths) {
				f.Time = t0.Add(time.Duration(i) * time.Second / fps)
				r.Reset(f.Time)
				r.Tracks = append(r.Tracks, trs...)
				c.flag(i, &r)
				if err := l.Analyze(f, &r); err != nil {
					t.Fatal(err)
				}
				if err := z.Analyze(f, &r); err != nil {
					t.Fatal(err)
				}
				if len(r.Occupancy) != 1 {
					t.Fatalf("frame %d: %d occupancy entries, want 1", i, len(r.Occupancy))
				}
				switch i {
				case 25:
					occ = r.Occupancy[0].ByClass["person"]
				case 35:
					after = r.Occupancy[0].ByClass["person"]
				}
				for _, e := range r.Events {
					got = append(got, fmt.Sprintf("%d:%s:%d", i, e.Type, e.Track))
				}
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("events\n got %s\nwant %s", g, c.want)
			}
			if occ != c.occAtSwap || after != c.occAfter {
				t.Errorf("occupancy on frames 25 and 35: %d and %d, want %d and %d", occ, after, c.occAtSwap, c.occAfter)
			}
		})
	}
}
