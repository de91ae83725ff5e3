package tamper

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/testclip"
	"gocv.io/x/gocv"
)

const vtest = "../../testdata/clips/vtest_h264.mp4"

// spell is a stretch of the test sequence with a manipulation applied to
// the real vtest frames.
type spell struct {
	from, to float64 // seconds
	apply    func(src gocv.Mat, dst *gocv.Mat)
}

func covered(src gocv.Mat, dst *gocv.Mat) {
	// A hand over the lens: nearly black, with sensor noise.
	src.ConvertToWithParams(dst, gocv.MatTypeCV8U, 0.02, 3)
	noise := gocv.NewMatWithSize(src.Rows(), src.Cols(), gocv.MatTypeCV8U)
	defer noise.Close()
	gocv.RandN(&noise, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(3, 0, 0, 0))
	gocv.Add(*dst, noise, dst)
}

func blurred(src gocv.Mat, dst *gocv.Mat) {
	gocv.GaussianBlur(src, dst, image.Pt(0, 0), 3, 0, gocv.BorderReplicate)
}

func dimmed(src gocv.Mat, dst *gocv.Mat) { src.ConvertToWithParams(dst, gocv.MatTypeCV8U, 0.5, 0) }

func shifted(src gocv.Mat, dst *gocv.Mat) {
	// The camera knocked sideways by a tenth of the picture.
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	m.SetDoubleAt(0, 0, 1)
	m.SetDoubleAt(1, 1, 1)
	m.SetDoubleAt(0, 2, 0.1*float64(src.Cols()))
	gocv.WarpAffineWithParams(src, dst, m, image.Pt(src.Cols(), src.Rows()), gocv.InterpolationLinear, gocv.BorderReflect, color.RGBA{})
}

// run plays vtest (looping) at 10 fps, 640 wide, for secs seconds through a
// Detector, applying the spells, and returns "kind:state@seconds" strings.
func run(t *testing.T, cfg Config, secs float64, spells []spell) []string {
	t.Helper()
	before := matCount()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f := frame.New(nil, nil)
	raw := gocv.NewMat()
	var r vision.Result
	var got []string
	n := 0
	for float64(n)/10 < secs {
		rd, err := testclip.Open(vtest, 640)
		if err != nil {
			t.Fatal(err)
		}
		for float64(n)/10 < secs {
			if _, ok := rd.Next(&raw, t0); !ok {
				break
			}
			f.Time = t0.Add(time.Duration(n) * 100 * time.Millisecond)
			s := float64(n) / 10
			raw.CopyTo(&f.Gray)
			for _, sp := range spells {
				if s >= sp.from && s < sp.to {
					sp.apply(raw, &f.Gray)
				}
			}
			r.Reset(f.Time)
			if err := d.Analyze(f, &r); err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Events {
				got = append(got, fmt.Sprintf("%s:%s@%.1f", e.Kind, e.State, e.Time.Sub(t0).Seconds()))
			}
			n++
		}
		rd.Close()
	}
	raw.Close()
	f.Close()
	d.Close()
	if n := matCount() - before; n != 0 {
		t.Errorf("%d Mats leaked", n)
	}
	return got
}

// near compares event lists whose times may differ by up to tol seconds:
// the detector analyses one frame in two (Interval 200 ms at 10 fps), so a
// hold that starts between analysed frames ends up to 0.2 s later.
func near(got, want []string, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		var g, w float64
		gk, gs, _ := strings.Cut(got[i], "@")
		wk, ws, _ := strings.Cut(want[i], "@")
		fmt.Sscan(gs, &g)
		fmt.Sscan(ws, &w)
		if gk != wk || math.Abs(g-w) > tol+1e-9 {
			return false
		}
	}
	return true
}

func TestTamperOnRealFrames(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		secs   float64
		spells []spell
		want   []string
	}{
		{"nothing happens", Config{}, 20, nil, nil},
		{"lighting change is not tampering", Config{}, 20, []spell{{8, 20, dimmed}}, nil},
		{"lens covered for 5 s", Config{}, 20, []spell{{8, 13, covered}},
			[]string{"covered:raised@10.0", "covered:cleared@16.0"}},
		{"defocus", Config{}, 20, []spell{{8, 14, blurred}},
			[]string{"defocus:raised@10.0", "defocus:cleared@17.0"}},
		{"camera moved, relearned after 6 s", Config{Relearn: 6 * time.Second}, 25, []spell{{8, 25, shifted}},
			[]string{"scene_change:raised@10.0", "scene_change:cleared@19.0"}},
		{"kinds can be disabled", Config{Disable: []string{KindCovered}}, 15, []spell{{8, 13, covered}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run(t, c.cfg, c.secs, c.spells)
			if !near(got, c.want, 0.2) {
				t.Errorf("events\n got %q\nwant %q (±0.2 s)", got, c.want)
			}
		})
	}
}

func TestVideoLoss(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var log []string
	note := func(evs []vision.Event) {
		for _, e := range evs {
			log = append(log, fmt.Sprintf("%s:%s@%.1f", e.Kind, e.State, e.Time.Sub(t0).Seconds()))
		}
	}
	f := frame.New(nil, nil)
	defer f.Close()
	f.Gray.Close()
	f.Gray = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 0, 0, 0), 48, 64, gocv.MatTypeCV8U)
	var r vision.Result
	feed := func(s float64) {
		f.Time = at(s)
		r.Reset(f.Time)
		if err := d.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
		for i := range r.Events {
			if r.Events[i].Kind == KindVideoLoss {
				note(r.Events[i : i+1])
			}
		}
	}
	// No frame at all: the first tick starts the clock.
	note(d.Tick(at(0)))
	note(d.Tick(at(4.9)))
	note(d.Tick(at(5)))  // raised
	note(d.Tick(at(6)))  // still raised, no repeat
	feed(7)              // frames again…
	feed(8)              //
	feed(10)             // …for 3 s: cleared
	note(d.Tick(at(14))) // 4 s since the last frame: fine
	note(d.Tick(at(15))) // raised
	feed(16)
	feed(17)
	note(d.Tick(at(22.5))) // a second stall before recovery resets the clear hold
	feed(23)
	feed(25.9)
	feed(26) // cleared 3 s after 23
	feed(40) // a gap in the frame times: raised at 26+5, and recovering
	feed(43) // cleared
	want := "video_loss:raised@5.0 video_loss:cleared@10.0 video_loss:raised@15.0 video_loss:cleared@26.0 video_loss:raised@31.0 video_loss:cleared@43.0"
	if strings.Join(log, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(log, " "), want)
	}
	// A frame of the wrong type is an error, not a crash.
	bad := frame.New(nil, nil)
	defer bad.Close()
	if err := d.Analyze(bad, &r); err == nil || !strings.Contains(err.Error(), "CV_8UC1") {
		t.Errorf("empty frame: %v", err)
	}
}

// TestTickConcurrent calls Tick from a timer goroutine while frames are
// analysed, as the agent does; run with -race.
func TestTickConcurrent(t *testing.T) {
	before := matCount()
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			d.Tick(t0.Add(time.Duration(i) * 50 * time.Millisecond))
		}
	}()
	f := frame.New(nil, nil)
	f.Gray.Close()
	f.Gray = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 0, 0, 0), 48, 64, gocv.MatTypeCV8U)
	var r vision.Result
	for i := 0; i < 100; i++ {
		f.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		r.Reset(f.Time)
		if err := d.Analyze(f, &r); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	f.Close()
	d.Close()
	if n := matCount() - before; n != 0 {
		t.Errorf("%d Mats leaked", n)
	}
}
