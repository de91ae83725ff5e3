package track

import (
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
)

// Between detector passes the motion regions move the tracks: a region
// over one track moves it, a region over two (they walk side by side)
// leaves them to their predictions, a track without motion stays, and a
// region over no track starts nothing. Classes and hits do not change.
func TestCoast(t *testing.T) {
	tr, err := New(Config{MinHits: 1})
	if err != nil {
		t.Fatal(err)
	}
	box := func(x, y float64) vision.Rect { return vision.Rect{X: x, Y: y, W: 0.04, H: 0.12} }
	dets := func(xs ...float64) []vision.Detection {
		var out []vision.Detection
		for _, x := range xs {
			out = append(out, vision.Detection{Class: "person", Score: 0.9, Box: box(x, 0.5)})
		}
		return out
	}
	// Three people: A at 0.1 and B at 0.3 walk right at 0.01 per frame; C
	// at 0.7 stands.
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 100 * time.Millisecond) }
	tr.Update(at(0), dets(0.1, 0.3, 0.7), nil)
	tr.Update(at(1), dets(0.11, 0.31, 0.7), nil)
	// Coast frame: one region over A (moved further than predicted), one
	// wide region over B and a newcomer D, one region where nobody is.
	regions := []vision.Detection{
		{Box: box(0.13, 0.5)},
		{Box: vision.Rect{X: 0.30, Y: 0.5, W: 0.12, H: 0.12}},
		{Box: box(0.9, 0.2)},
	}
	got := tr.Coast(at(2), regions, nil)
	if len(got) != 3 {
		t.Fatalf("coast made %d tracks, want the 3 there were: %+v", len(got), got)
	}
	a, b, c := got[0], got[1], got[2]
	if a.Box != box(0.13, 0.5) {
		t.Errorf("A = %+v, want moved onto its own region", a.Box)
	}
	if b.Box.X < 0.315 || b.Box.X > 0.325 {
		t.Errorf("B at x %.3f, want its prediction (0.32): the region is shared", b.Box.X)
	}
	if c.Box != box(0.7, 0.5) {
		t.Errorf("C = %+v, want where it stood", c.Box)
	}
	for _, tk := range got {
		if tk.Hits != 2 || tk.Lost != 0 || tk.Class != "person" {
			t.Errorf("track %+v: a coast frame changed hits, lost or class", tk)
		}
	}
	// The next detector pass finds A where the region put it.
	got = tr.Update(at(3), dets(0.14, 0.33, 0.7), nil)
	if len(got) != 3 || got[0].ID != a.ID || got[0].Lost != 0 {
		t.Errorf("after coasting, tracks %+v; want A matched again", got)
	}
}

// A detector pass over crops misses nobody outside them.
func TestUpdateInspected(t *testing.T) {
	tr, _ := New(Config{MinHits: 1, MaxAge: 1})
	d := []vision.Detection{{Class: "car", Score: 0.9, Box: vision.Rect{X: 0.8, Y: 0.1, W: 0.1, H: 0.05}}}
	tr.Update(t0, d, nil)
	crop := []vision.Rect{{X: 0, Y: 0.4, W: 0.4, H: 0.4}}
	var got []vision.Track
	for i := 1; i <= 5; i++ {
		got = tr.UpdateInspected(t0.Add(time.Duration(i)*time.Second), nil, crop, nil)
	}
	if len(got) != 1 || got[0].Lost != 0 {
		t.Fatalf("parked car outside the crops: %+v, want kept, not missed", got)
	}
	got = tr.UpdateInspected(t0.Add(6*time.Second), nil, nil, nil)
	got = tr.UpdateInspected(t0.Add(7*time.Second), nil, nil, got[:0])
	if len(got) != 0 {
		t.Errorf("after two whole-frame passes without it: %+v, want dropped", got)
	}
}
