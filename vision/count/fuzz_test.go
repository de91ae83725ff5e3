package count

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

// FuzzTracks drives random jittery walks of several tracks past a line
// and into a zone and checks invariants that must hold whatever the
// paths: on a one-segment line a track's crossings alternate in and out;
// a track's zone enters and exits alternate; occupancy is enters minus
// exits.
func FuzzTracks(f *testing.F) {
	f.Add(uint64(1), 0.01)
	f.Add(uint64(2), 0.03)
	f.Add(uint64(3), 0.0)
	f.Fuzz(func(t *testing.T, seed uint64, jit float64) {
		if jit < 0 || jit > 0.1 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		l, _ := NewLines([]LineConfig{{Name: "l", Points: []vision.Point{{X: 0.5, Y: 0}, {X: 0.5, Y: 1}}}})
		z, _ := NewZones([]ZoneConfig{{Name: "z", Points: plaza}})
		type pos struct{ x, y, vx, vy float64 }
		ps := make([]pos, 6)
		for i := range ps {
			ps[i] = pos{rng.Float64(), rng.Float64(), (rng.Float64() - 0.5) / 20, (rng.Float64() - 0.5) / 20}
		}
		lastDir := map[int]string{}
		inside := map[int]bool{}
		var evs []vision.Event
		var occ []vision.ZoneOccupancy
		for n := 0; n < 300; n++ {
			var trs []vision.Track
			for i := range ps {
				p := &ps[i]
				p.x = clamp01(p.x + p.vx + (rng.Float64()-0.5)*jit)
				p.y = clamp01(p.y + p.vy + (rng.Float64()-0.5)*jit)
				if p.x == 0 || p.x == 1 {
					p.vx = -p.vx
				}
				if p.y == 0 || p.y == 1 {
					p.vy = -p.vy
				}
				id := i + 1 + 100*(n/100)
				if rng.IntN(50) == 0 {
					// Missing for a frame: the tracker dropped it, the
					// analyzers forget it (and it leaves the zone).
					delete(lastDir, id)
					continue
				}
				trs = append(trs, vision.Track{ID: id, Confirmed: true, Class: "person",
					Box: vision.Rect{X: p.x - 0.02, Y: p.y - 0.1, W: 0.04, H: 0.1}})
			}
			now := t0.Add(time.Duration(n) * 100 * time.Millisecond)
			evs = l.Update(now, trs, evs[:0])
			evs, occ = z.Update(now, trs, evs, occ[:0])
			for _, e := range evs {
				switch e.Type {
				case vision.EventLineCross:
					if lastDir[e.Track] == e.Direction {
						t.Fatalf("frame %d track %d: two %q crossings in a row", n, e.Track, e.Direction)
					}
					lastDir[e.Track] = e.Direction
				case vision.EventZoneEnter:
					if inside[e.Track] {
						t.Fatalf("frame %d track %d: entered twice", n, e.Track)
					}
					inside[e.Track] = true
				case vision.EventZoneExit:
					if !inside[e.Track] {
						t.Fatalf("frame %d track %d: exit without enter", n, e.Track)
					}
					delete(inside, e.Track)
				}
			}
			if got := occ[0].ByClass["person"]; got != len(inside) {
				t.Fatalf("frame %d: occupancy %d, enters−exits %d", n, got, len(inside))
			}
		}
	})
}

func clamp01(v float64) float64 { return max(0, min(1, v)) }
