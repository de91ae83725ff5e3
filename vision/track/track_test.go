package track

import (
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// mover is a synthetic object: a box moving at constant speed per frame,
// detected on every frame except those in hidden.
type mover struct {
	class  string
	x, y   float64 // top-left at frame 0
	vx, vy float64 // per frame
	w, h   float64
	from   int // first frame present
	to     int // frame after the last present
	hidden [2]int
}

func (m mover) det(i int) (vision.Detection, bool) {
	if i < m.from || i >= m.to || (i >= m.hidden[0] && i < m.hidden[1]) {
		return vision.Detection{}, false
	}
	k := float64(i - m.from)
	return vision.Detection{Class: m.class, Score: 1,
		Box: vision.Rect{X: m.x + m.vx*k, Y: m.y + m.vy*k, W: m.w, H: m.h}}, true
}

// run feeds n frames at 10 fps and returns, per object, the track IDs that
// covered its detections, plus every frame's tracks.
func run(t *testing.T, cfg Config, n int, ms []mover) (ids [][]int, frames [][]vision.Track) {
	t.Helper()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids = make([][]int, len(ms))
	var dets []vision.Detection
	var owner []int
	for i := 0; i < n; i++ {
		dets, owner = dets[:0], owner[:0]
		for j, m := range ms {
			if d, ok := m.det(i); ok {
				dets = append(dets, d)
				owner = append(owner, j)
			}
		}
		tracks := tr.Update(t0.Add(time.Duration(i)*100*time.Millisecond), dets, nil)
		frames = append(frames, tracks)
		for k, d := range dets {
			id := -1
			for _, tk := range tracks {
				if tk.Lost == 0 && tk.Box == d.Box && tk.Class == d.Class {
					id = tk.ID
				}
			}
			if id < 0 {
				t.Fatalf("frame %d: detection %+v has no track", i, d)
			}
			l := ids[owner[k]]
			if len(l) == 0 || l[len(l)-1] != id {
				ids[owner[k]] = append(l, id)
			}
		}
	}
	return ids, frames
}

func TestTracking(t *testing.T) {
	person := func(x, y, vx float64) mover {
		return mover{class: "person", x: x, y: y, vx: vx, w: 0.06, h: 0.15, to: 1 << 30, hidden: [2]int{-1, -1}}
	}
	hidden := func(m mover, a, b int) mover { m.hidden = [2]int{a, b}; return m }
	class := func(m mover, c string) mover { m.class = c; return m }
	span := func(m mover, a, b int) mover { m.from, m.to = a, b; return m }
	cases := []struct {
		name   string
		cfg    Config
		frames int
		movers []mover
		want   [][]int // track IDs each object had, in order
	}{
		{"one walker", Config{}, 30, []mover{person(0.1, 0.5, 0.02)}, [][]int{{1}}},
		{"two crossing", Config{}, 40, []mover{person(0.1, 0.5, 0.02), person(0.86, 0.52, -0.02)}, [][]int{{1}, {2}}},
		{"two crossing fast", Config{}, 20, []mover{person(0.1, 0.5, 0.04), person(0.86, 0.5, -0.04)}, [][]int{{1}, {2}}},
		{"occlusion within max age", Config{}, 40, []mover{hidden(person(0.1, 0.5, 0.02), 10, 18)}, [][]int{{1}}},
		{"occlusion longer than max age", Config{MaxAge: 5}, 40, []mover{hidden(person(0.1, 0.5, 0.02), 10, 18)}, [][]int{{1, 2}}},
		{"crossing while one is hidden", Config{}, 40,
			[]mover{hidden(person(0.1, 0.5, 0.02), 17, 23), person(0.86, 0.5, -0.02)}, [][]int{{1}, {2}}},
		{"classes kept apart", Config{}, 10,
			[]mover{person(0.3, 0.3, 0), class(person(0.3, 0.3, 0), "car")}, [][]int{{1}, {2}}},
		{"unconfirmed survives short misses", Config{}, 20,
			[]mover{hidden(person(0.1, 0.5, 0.02), 2, 5)}, [][]int{{1}}},
		{"unconfirmed dropped after tentative age", Config{}, 20,
			[]mover{hidden(person(0.1, 0.5, 0.02), 2, 6)}, [][]int{{1, 2}}},
		{"unconfirmed dropped at first miss when asked", Config{TentativeAge: -1}, 20,
			[]mover{hidden(person(0.1, 0.5, 0.02), 2, 3)}, [][]int{{1, 2}}},
		// One walker's box is replaced, where it was, by a box twice as
		// tall (the next walker, or one box around two): a new track, not
		// the walker's.
		{"a box of another height is another object", Config{}, 20,
			[]mover{span(person(0.3, 0.3, 0.01), 0, 10), span(mover{class: "person", x: 0.4, y: 0.225, vx: 0.01, w: 0.08, h: 0.3, hidden: [2]int{-1, -1}}, 10, 20)},
			[][]int{{1}, {2}}},
		{"a box of another height, check off", Config{MaxResize: -1}, 20,
			[]mover{span(person(0.3, 0.3, 0.01), 0, 10), span(mover{class: "person", x: 0.4, y: 0.225, vx: 0.01, w: 0.08, h: 0.3, hidden: [2]int{-1, -1}}, 10, 20)},
			[][]int{{1}, {1}}},
		{"a box a little taller is the same walker", Config{}, 20,
			[]mover{span(person(0.3, 0.3, 0.01), 0, 10), span(mover{class: "person", x: 0.4, y: 0.28, vx: 0.01, w: 0.06, h: 0.19, hidden: [2]int{-1, -1}}, 10, 20)},
			[][]int{{1}, {1}}},
		{"late arrival", Config{}, 20,
			[]mover{person(0.1, 0.2, 0.02), span(person(0.9, 0.7, -0.02), 5, 20)}, [][]int{{1}, {2}}},
		{"centroid fallback for a small fast object", Config{}, 20,
			[]mover{{class: "object", x: 0.1, y: 0.5, vx: 0.018, w: 0.02, h: 0.02, to: 20, hidden: [2]int{-1, -1}}}, [][]int{{1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids, _ := run(t, c.cfg, c.frames, c.movers)
			if len(ids) != len(c.want) {
				t.Fatalf("ids %v, want %v", ids, c.want)
			}
			for i := range ids {
				if len(ids[i]) != len(c.want[i]) {
					t.Fatalf("ids %v, want %v", ids, c.want)
				}
				for j := range ids[i] {
					if ids[i][j] != c.want[i][j] {
						t.Fatalf("ids %v, want %v", ids, c.want)
					}
				}
			}
		})
	}
}

func TestConfirmedAndLost(t *testing.T) {
	m := mover{class: "person", x: 0.1, y: 0.5, vx: 0.02, w: 0.06, h: 0.15, to: 100, hidden: [2]int{10, 14}}
	_, frames := run(t, Config{MinHits: 3}, 20, []mover{m})
	for i, tracks := range frames {
		if len(tracks) != 1 {
			t.Fatalf("frame %d: %d tracks, want 1", i, len(tracks))
		}
		tk := tracks[0]
		if want := i >= 2; tk.Confirmed != want {
			t.Errorf("frame %d: Confirmed %v, want %v", i, tk.Confirmed, want)
		}
		if tk.Age != i+1 {
			t.Errorf("frame %d: Age %d, want %d", i, tk.Age, i+1)
		}
		wantLost := 0
		if i >= 10 && i < 14 {
			wantLost = i - 9
		}
		if tk.Lost != wantLost {
			t.Errorf("frame %d: Lost %d, want %d", i, tk.Lost, wantLost)
		}
		// While hidden the box follows the constant-velocity prediction.
		if want := 0.1 + 0.02*float64(i); tk.Box.X < want-1e-6 || tk.Box.X > want+1e-6 {
			t.Errorf("frame %d: box x %.4f, want %.4f", i, tk.Box.X, want)
		}
	}
	if h := frames[19][0].Hits; h != 16 {
		t.Errorf("hits %d after 20 frames with 4 hidden, want 16", h)
	}
}

func TestDroppedFrames(t *testing.T) {
	// The pipeline drops frames under load: prediction uses frame times,
	// so a jump of 0.5 s still lands on the walker.
	tr, err := New(Config{MaxDistance: -1})
	if err != nil {
		t.Fatal(err)
	}
	box := func(sec float64) []vision.Detection {
		return []vision.Detection{{Class: "person", Box: vision.Rect{X: 0.1 + 0.2*sec, Y: 0.5, W: 0.05, H: 0.1}}}
	}
	var out []vision.Track
	for _, ms := range []int{0, 100, 200, 700, 800, 1500} {
		out = tr.Update(t0.Add(time.Duration(ms)*time.Millisecond), box(float64(ms)/1000), out[:0])
		if len(out) != 1 || out[0].ID != 1 || out[0].Lost != 0 {
			t.Fatalf("at %d ms: tracks %+v, want track 1 matched", ms, out)
		}
	}
}

func TestAnalyze(t *testing.T) {
	tr, err := New(Config{MinHits: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	f := &frame.Frame{Time: t0}
	var r vision.Result
	r.Reset(t0)
	r.Detections = append(r.Detections, vision.Detection{Class: "object", Box: vision.Rect{X: 0.2, Y: 0.2, W: 0.1, H: 0.1}})
	if err := tr.Analyze(f, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Tracks) != 1 || !r.Tracks[0].Confirmed || r.Tracks[0].Class != "object" || tr.Name() != "track" {
		t.Fatalf("tracks %+v", r.Tracks)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{MinIoU: 1.5}, "min_iou"},
		{Config{MaxAge: -1}, "max_age"},
		{Config{MinHits: -2}, "min_hits"},
		{Config{MaxResize: 0.5}, "max_resize"},
	} {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.want)
		}
	}
}

func TestIoU(t *testing.T) {
	a := vision.Rect{X: 0, Y: 0, W: 0.2, H: 0.2}
	for _, c := range []struct {
		b    vision.Rect
		want float64
	}{
		{a, 1},
		{vision.Rect{X: 0.1, Y: 0, W: 0.2, H: 0.2}, 1.0 / 3},
		{vision.Rect{X: 0.3, Y: 0.3, W: 0.1, H: 0.1}, 0},
		{vision.Rect{X: 0.05, Y: 0.05, W: 0.1, H: 0.1}, 0.25},
	} {
		if got := a.IoU(c.b); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("IoU(%v, %v) = %g, want %g", a, c.b, got, c.want)
		}
	}
}

// BenchmarkUpdate measures 10 people walking, one frame per op.
func BenchmarkUpdate(b *testing.B) {
	tr, _ := New(Config{})
	dets := make([]vision.Detection, 10)
	out := make([]vision.Track, 0, 32)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for j := range dets {
			x := float64((i+j*7)%100) / 100
			dets[j] = vision.Detection{Class: "person", Box: vision.Rect{X: x, Y: float64(j) / 10, W: 0.05, H: 0.09}}
		}
		out = tr.Update(t0.Add(time.Duration(i)*100*time.Millisecond), dets, out[:0])
	}
}

// TestVelocityAfterHold: a walker not looked at for half a second (the
// detector inspected other parts of the frame) is held where he was seen;
// found again, his speed is what he walked over that whole second, not
// over the last frame, so his prediction through a missed frame stays on
// him.
func TestVelocityAfterHold(t *testing.T) {
	tr, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	box := func(i int) vision.Rect { return vision.Rect{X: 0.1 + 0.02*float64(i), Y: 0.5, W: 0.06, H: 0.15} }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 100 * time.Millisecond) }
	elsewhere := []vision.Rect{{X: 0.9, Y: 0, W: 0.1, H: 0.1}}
	var out []vision.Track
	for i := 0; i < 11; i++ {
		var dets []vision.Detection
		var insp []vision.Rect
		if i < 5 || i == 10 {
			dets = []vision.Detection{{Class: "person", Score: 1, Box: box(i)}}
		} else {
			insp = elsewhere
		}
		out = tr.UpdateInspected(at(i), dets, insp, out[:0])
	}
	out = tr.Update(at(11), nil, out[:0])
	if len(out) != 1 || out[0].ID != 1 || out[0].Lost != 1 {
		t.Fatalf("tracks %+v, want track 1 lost for one frame", out)
	}
	if got, want := out[0].Box.X, box(11).X; got < want-0.005 || got > want+0.005 {
		t.Errorf("predicted x %.3f, want %.3f (the walker's own speed)", got, want)
	}
}
