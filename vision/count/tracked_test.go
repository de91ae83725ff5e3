package count

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/track"
)

// These cases run the walkers through the real tracker before the rules,
// as the camera does: the walkers become anonymous detections (a gap is a
// frame where the detector did not see the walker: occlusion), and the
// tracker has to give each walker one identity for the rules to count it
// once.

// detections turns the walkers' steps of frame i into detections, in
// walker order (the tracker never sees the walker's number).
func detections(paths map[int][]step, i int) []vision.Detection {
	var ids []int
	for id := range paths {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []vision.Detection
	for _, id := range ids {
		p := paths[id]
		if i >= len(p) || p[i].absent {
			continue
		}
		st := p[i]
		cl := st.class
		if cl == "" {
			cl = "person"
		}
		out = append(out, vision.Detection{Class: cl, Score: 0.8,
			Box: vision.Rect{X: st.x - 0.02, Y: st.y - 0.12, W: 0.04, H: 0.12}})
	}
	return out
}

// runTracked feeds the walkers through track → lines and zones and returns
// the crossings as "rule:direction:class:track" and, per frame, the
// occupancy of the zones (total over classes).
func runTracked(t *testing.T, lines []LineConfig, zones []ZoneConfig, paths map[int][]step) (crossings []string, occ []int) {
	t.Helper()
	tr, err := track.New(track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	var z *Zones
	if len(zones) > 0 {
		if z, err = NewZones(zones); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, p := range paths {
		n = max(n, len(p))
	}
	var evs []vision.Event
	var tracks []vision.Track
	var zo []vision.ZoneOccupancy
	for i := 0; i < n; i++ {
		tracks = tr.Update(frameTime(i), detections(paths, i), tracks[:0])
		evs = l.Update(frameTime(i), tracks, evs[:0])
		for _, e := range evs {
			crossings = append(crossings, fmt.Sprintf("%s:%s:%s:%d", e.Rule, e.Direction, e.Class, e.Track))
		}
		if z != nil {
			evs, zo = z.Update(frameTime(i), tracks, evs[:0], zo[:0])
			total := 0
			for _, o := range zo {
				for _, k := range o.ByClass {
					total += k
				}
			}
			occ = append(occ, total)
		}
	}
	return crossings, occ
}

func TestTrackedCrossings(t *testing.T) {
	cases := []struct {
		name  string
		paths map[int][]step
		want  []string // without track ids: one entry per crossing, sorted
		ids   int      // distinct tracks that crossed
	}{
		{"one walker", map[int][]step{1: walk(0.2, 0.6, 0.8, 0.6, 30)},
			[]string{"mid:in:person"}, 1},
		// Two people walk towards each other on nearly the same path and
		// pass each other just before the line: their boxes overlap for
		// several frames. Each keeps its identity and crosses once.
		{"two people crossing paths", map[int][]step{
			1: walk(0.2, 0.60, 0.8, 0.62, 30),
			2: walk(0.8, 0.62, 0.2, 0.60, 30),
		}, []string{"mid:in:person", "mid:out:person"}, 2},
		// The same, but while they overlap the detector sees only the one
		// in front (the other is hidden behind him for four frames).
		{"crossing paths with occlusion", map[int][]step{
			1: walk(0.2, 0.60, 0.8, 0.62, 30),
			2: join(walk(0.8, 0.62, 0.51, 0.614, 14), gap(4), walk(0.413, 0.607, 0.2, 0.60, 12)),
		}, []string{"mid:in:person", "mid:out:person"}, 2},
		// Hidden behind a pillar for five frames right at the line: one
		// crossing, one track.
		{"occluded while crossing", map[int][]step{
			1: join(walk(0.2, 0.6, 0.44, 0.6, 12), gap(5), walk(0.54, 0.6, 0.8, 0.6, 13)),
		}, []string{"mid:in:person"}, 1},
		// The detector calls the walker a bicycle now and then: the track's
		// class is the majority.
		{"class by majority", map[int][]step{1: wobbleClass(walk(0.2, 0.6, 0.8, 0.6, 30), "bicycle", 4)},
			[]string{"mid:in:person"}, 1},
		// Back and forth over the line within the hysteresis band, then
		// across: counted once.
		{"once per track and line", map[int][]step{1: join(walk(0.3, 0.6, 0.505, 0.6, 10), jitter(0.5, 0.6, 0.006, 10), walk(0.505, 0.6, 0.8, 0.6, 10))},
			[]string{"mid:in:person"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := runTracked(t, []LineConfig{vline}, nil, c.paths)
			var kinds []string
			ids := map[string]bool{}
			for _, g := range got {
				i := strings.LastIndex(g, ":")
				kinds = append(kinds, g[:i])
				ids[g[i+1:]] = true
			}
			slices.Sort(kinds)
			if !slices.Equal(kinds, c.want) || len(ids) != c.ids {
				t.Errorf("crossings %v, want %v by %d tracks", got, c.want, c.ids)
			}
		})
	}
}

// A person standing in a zone whom the detector misses for a few frames
// now and then (someone walks in front) stays in the zone: occupancy does
// not flicker.
func TestTrackedOccupancyDoesNotFlicker(t *testing.T) {
	zone := ZoneConfig{Name: "plaza", Points: []vision.Point{{X: 0.1, Y: 0.4}, {X: 0.9, Y: 0.4}, {X: 0.9, Y: 0.9}, {X: 0.1, Y: 0.9}}}
	paths := map[int][]step{
		1: join(still(0.5, 0.7, 10), gap(3), still(0.5, 0.7, 10), gap(2), still(0.5, 0.7, 10)),
	}
	_, occ := runTracked(t, []LineConfig{vline}, []ZoneConfig{zone}, paths)
	// The first frames before the track is confirmed are 0.
	start := slices.Index(occ, 1)
	if start < 0 {
		t.Fatalf("occupancy %v never 1", occ)
	}
	for i, n := range occ[start:] {
		if n != 1 {
			t.Fatalf("occupancy %v: frame %d is %d, want 1 from frame %d on", occ, start+i, n, start)
		}
	}
}

// wobbleClass gives every k-th step the class other.
func wobbleClass(s []step, other string, k int) []step {
	for i := range s {
		if i%k == k-1 {
			s[i].class = other
		}
	}
	return s
}
