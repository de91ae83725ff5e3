package motion

import (
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/testclip"
	"gocv.io/x/gocv"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// checkMats fails the test if it leaves Mats open.
func checkMats(t testing.TB) { testclip.CheckMats(t) }

// synth draws a dark textured background and, when on, a bright square
// moving right by 8 px per frame.
func synth(dst *gocv.Mat, i int, on bool) {
	dst.SetTo(gocv.NewScalar(40, 0, 0, 0))
	gocv.Rectangle(dst, image.Rect(20, 20, 300, 60), color.RGBA{90, 90, 90, 0}, -1)
	if on {
		x := 10 + (i*8)%260
		gocv.Rectangle(dst, image.Rect(x, 120, x+40, 160), color.RGBA{220, 220, 220, 0}, -1)
	}
}

// poly makes a polygon from x, y pairs.
func poly(xy ...float64) []vision.Point {
	p := make([]vision.Point, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		p = append(p, vision.Point{X: xy[i], Y: xy[i+1]})
	}
	return p
}

type span struct{ from, to int } // frames [from, to) carry the moving square

type transition struct {
	frame int
	state string
}

func runSynth(t *testing.T, cfg Config, frames int, moving []span) []transition {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := &frame.Frame{Gray: gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC1)}
	defer f.Gray.Close()
	var r vision.Result
	var got []transition
	for i := 0; i < frames; i++ {
		on := false
		for _, s := range moving {
			on = on || (i >= s.from && i < s.to)
		}
		synth(&f.Gray, i, on)
		f.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond) // 10 fps
		r.Reset(f.Time)
		if err := d.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Events {
			if e.Type != vision.EventMotion || !e.Time.Equal(f.Time) {
				t.Fatalf("frame %d: bad event %+v", i, e)
			}
			if e.State == "start" && (e.Area < 0.015 || e.Area > 0.03) {
				t.Errorf("frame %d: start area %g, want about 0.021 (40×40 of 320×240)", i, e.Area)
			}
			got = append(got, transition{i, e.State})
		}
		if want := len(got) > 0 && got[len(got)-1].state == "start"; r.Motion != want {
			t.Fatalf("frame %d: r.Motion = %v, want %v", i, r.Motion, want)
		}
	}
	return got
}

func TestDebounceSynthetic(t *testing.T) {
	checkMats(t)
	cases := []struct {
		name   string
		cfg    Config
		frames int
		moving []span
		want   []transition
	}{
		// 10 warm-up frames are learnt only.
		{"still", Config{}, 60, nil, nil},
		{"motion during warm-up only", Config{}, 60, []span{{0, 10}}, nil},
		// 0.3 s of motion is shorter than StartAfter (0.5 s).
		{"short burst", Config{}, 60, []span{{20, 23}}, nil},
		// Start once motion has lasted 0.5 s (frame 20 + 5); end 2 s after
		// the last moving frame (39 + 20).
		{"start and end", Config{}, 80, []span{{20, 40}}, []transition{{25, "start"}, {59, "end"}}},
		// A gap of 1 s is shorter than EndAfter: one event pair.
		{"gap bridged", Config{}, 100, []span{{20, 40}, {50, 60}}, []transition{{25, "start"}, {79, "end"}}},
		{"custom debounce", Config{StartAfter: -1, EndAfter: 300 * time.Millisecond}, 60,
			[]span{{20, 30}}, []transition{{20, "start"}, {32, "end"}}},
		{"masked", Config{Masks: [][]vision.Point{poly(0, 0.4, 1, 0.4, 1, 0.8, 0, 0.8)}}, 60, []span{{20, 40}}, nil},
		{"too small", Config{MinArea: 0.05}, 60, []span{{20, 40}}, nil},
		{"silent", Config{Silent: true}, 60, []span{{20, 40}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runSynth(t, c.cfg, c.frames, c.moving)
			if len(got) != len(c.want) {
				t.Fatalf("transitions %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("transitions %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{MinArea: -0.1}, "min_area"},
		{Config{MinArea: 1}, "min_area"},
		{Config{Warmup: -1}, "warmup"},
		{Config{Threshold: -3}, "threshold"},
		{Config{History: -3}, "history"},
		{Config{Masks: [][]vision.Point{poly(0, 0, 1, 1)}}, "masks[0]: need at least 3 points"},
		{Config{Masks: [][]vision.Point{poly(0, 0, 1, 1, 0, 1), poly(0, 0, 1.5, 1, 0, 1)}}, "masks[1][1]"},
	}
	for _, c := range cases {
		d, err := New(c.cfg)
		if err == nil {
			d.Close()
			t.Errorf("%+v: no error, want one naming %q", c.cfg, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %q does not name %q", c.cfg, err, c.want)
		}
	}
}

func TestRejectsBadFrame(t *testing.T) {
	checkMats(t)
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := &frame.Frame{Gray: gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8UC3), Time: t0}
	defer f.Gray.Close()
	var r vision.Result
	if err := d.Analyze(f, &r); err == nil || !strings.Contains(err.Error(), "CV_8UC1") {
		t.Fatalf("3-channel frame: err %v, want one asking for CV_8UC1", err)
	}
	if _, ok := d.Blobs(t0); ok {
		t.Fatal("Blobs reports a frame that failed")
	}
}

// clipEvents runs a Detector over the first n frames of a clip at 640 wide.
func clipEvents(t *testing.T, path string, n int, cfg Config) (events []vision.Event, motionFrames int) {
	t.Helper()
	rd, err := testclip.Open(path, 640)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := &frame.Frame{Gray: gocv.NewMat()}
	defer f.Gray.Close()
	var r vision.Result
	for i := 0; i < n; i++ {
		ft, ok := rd.Next(&f.Gray, t0)
		if !ok {
			break
		}
		f.Time = ft
		r.Reset(ft)
		if err := d.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		events = append(events, r.Events...)
		if r.Motion {
			motionFrames++
		}
		blobs, ok := d.Blobs(ft)
		if !ok {
			t.Fatalf("frame %d: no blobs for the frame just analysed", i)
		}
		for _, b := range blobs {
			if b.Box.X < 0 || b.Box.Y < 0 || b.Box.X+b.Box.W > 1.0001 || b.Box.Y+b.Box.H > 1.0001 || b.Area <= 0 {
				t.Fatalf("frame %d: blob out of range %+v", i, b)
			}
		}
	}
	return events, motionFrames
}

func TestClipPeopleWalking(t *testing.T) {
	checkMats(t)
	events, frames := clipEvents(t, "../../testdata/clips/vtest_h264.mp4", 150, Config{})
	if len(events) == 0 || events[0].State != "start" {
		t.Fatalf("people walking: events %+v, want a motion start", events)
	}
	// Warm-up is 10 frames and debounce 0.5 s (5 frames) at 10 fps.
	if d := events[0].Time.Sub(t0); d > 2*time.Second {
		t.Errorf("motion started %v into the clip, want within 2 s", d)
	}
	if frames < 120 {
		t.Errorf("motion on %d of 150 frames of people walking, want nearly all", frames)
	}
	t.Logf("first event %+v; motion on %d frames", events[0], frames)
}

func TestClipStill(t *testing.T) {
	checkMats(t)
	events, frames := clipEvents(t, "../../testdata/clips/still_h264.mp4", 1000, Config{})
	if len(events) != 0 || frames != 0 {
		t.Fatalf("still scene: %d events (%+v), %d motion frames; want none", len(events), events, frames)
	}
}

func TestClipFullMask(t *testing.T) {
	checkMats(t)
	all := [][]vision.Point{poly(0, 0, 1, 0, 1, 1, 0, 1)}
	events, frames := clipEvents(t, "../../testdata/clips/vtest_h264.mp4", 80, Config{Masks: all})
	if len(events) != 0 || frames != 0 {
		t.Fatalf("whole frame masked: %d events, %d motion frames; want none", len(events), frames)
	}
}

// BenchmarkAnalyze measures one frame of vtest at 640×480.
func BenchmarkAnalyze(b *testing.B) {
	rd, err := testclip.Open("../../testdata/clips/vtest_h264.mp4", 640)
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	frames := make([]gocv.Mat, 50)
	for i := range frames {
		frames[i] = gocv.NewMat()
		defer frames[i].Close()
		if _, ok := rd.Next(&frames[i], t0); !ok {
			b.Fatal("clip too short")
		}
	}
	d, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	f := &frame.Frame{}
	var r vision.Result
	r.Events = make([]vision.Event, 0, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Gray = frames[i%len(frames)]
		f.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		r.Reset(f.Time)
		if err := d.Analyze(f, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSilentStillFeedsBlobs(t *testing.T) {
	checkMats(t)
	d, err := New(Config{Silent: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := &frame.Frame{Gray: gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC1)}
	defer f.Gray.Close()
	var r vision.Result
	for i := 0; i < 30; i++ {
		synth(&f.Gray, i, i >= 20)
		f.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		r.Reset(f.Time)
		if err := d.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		if r.Motion || r.MotionArea != 0 || len(r.Events) != 0 {
			t.Fatalf("frame %d: silent detector reported %+v", i, r)
		}
	}
	blobs, ok := d.Blobs(f.Time)
	if !ok || len(blobs) != 1 || blobs[0].Px.Dx() < 36 || blobs[0].Px.Dx() > 44 {
		t.Fatalf("blobs %+v (ok %v), want the 40×40 square", blobs, ok)
	}
	if fg, ok := d.Foreground(f.Time); !ok || gocv.CountNonZero(fg) < 1400 {
		t.Fatalf("foreground mask has %d pixels set, want about 1600", gocv.CountNonZero(fg))
	}
}

func TestFrameSizeChange(t *testing.T) {
	checkMats(t)
	d, err := New(Config{StartAfter: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	big := gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC1)
	defer big.Close()
	small := gocv.NewMatWithSize(120, 160, gocv.MatTypeCV8UC1)
	defer small.Close()
	var r vision.Result
	for i := 0; i < 30; i++ {
		f := &frame.Frame{Gray: big, Time: t0.Add(time.Duration(i) * 100 * time.Millisecond)}
		synth(&big, i, false)
		if i >= 15 {
			// The camera changed resolution: the model restarts and
			// learns again instead of failing or seeing the whole frame move.
			f.Gray = small
			gocv.Resize(big, &small, image.Pt(160, 120), 0, 0, gocv.InterpolationArea)
		}
		r.Reset(f.Time)
		if err := d.Analyze(f, &r); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if len(r.Events) != 0 || r.Motion {
			t.Fatalf("frame %d: events %+v on a still scene across a size change", i, r.Events)
		}
	}
}
