package count

import (
	"testing"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// TestAnalyze runs the thin pipeline wrappers on real (empty) frames: the
// tracks come from the Result, the clock from the frame.
func TestAnalyze(t *testing.T) {
	before := matCount()
	l, err := NewLines([]LineConfig{vline})
	if err != nil {
		t.Fatal(err)
	}
	z, err := NewZones([]ZoneConfig{{Name: "plaza", Points: plaza}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Name() != "lines" || z.Name() != "zones" {
		t.Fatalf("names %q %q", l.Name(), z.Name())
	}
	var r vision.Result
	var types []string
	for i, trs := range frames(map[int][]step{1: walk(0.2, 0.5, 0.8, 0.5, 31)}) {
		f := frame.New(nil, nil)
		f.Time = frameTime(i)
		r.Reset(f.Time)
		r.Tracks = append(r.Tracks, trs...)
		if err := l.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		if err := z.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		f.Release()
		for _, e := range r.Events {
			types = append(types, e.Type+"@"+e.Time.Sub(t0).String())
		}
		if len(r.Occupancy) != 1 || r.Occupancy[0].ByClass["person"] != 1 {
			t.Fatalf("frame %d: occupancy %+v", i, r.Occupancy)
		}
	}
	// The crossing is dated when the anchor met the line (frame 15), not
	// when it cleared the band (16).
	if len(types) != 2 || types[0] != "zone_enter@0s" || types[1] != "line_cross@1.5s" {
		t.Errorf("events %v", types)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if n := matCount(); n != before {
		t.Errorf("%d Mats leaked", n-before)
	}
}
