package count

import (
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

// BenchmarkLinesZones measures two lines and one zone over 20 tracks per
// frame: the cost the counting stage adds per analysed frame.
func BenchmarkLinesZones(b *testing.B) {
	l, err := NewLines([]LineConfig{vline, {Name: "h", Points: []vision.Point{{X: 0.1, Y: 0.6}, {X: 0.5, Y: 0.7}, {X: 0.9, Y: 0.6}}}})
	if err != nil {
		b.Fatal(err)
	}
	z, err := NewZones([]ZoneConfig{{Name: "plaza", Points: plaza, LoiterAfter: time.Minute, Armed: "mon-fri 18:00-06:00"}})
	if err != nil {
		b.Fatal(err)
	}
	paths := map[int][]step{}
	for id := 1; id <= 20; id++ {
		y := 0.3 + 0.03*float64(id)
		paths[id] = walk(0.05, y, 0.95, y-0.1, 200)
	}
	fr := frames(paths)
	evs := make([]vision.Event, 0, 64)
	occ := make([]vision.ZoneOccupancy, 0, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(fr)
		t := frameTime(i)
		evs = l.Update(t, fr[k], evs[:0])
		evs, occ = z.Update(t, fr[k], evs, occ[:0])
	}
}
