package tamper

import (
	"fmt"
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/testclip"
	"gocv.io/x/gocv"
)

const daynight = "../../testdata/clips/daynight_h264.mp4"

// chain is a tamper Detector, with or without a ViewWatch before it, and
// what it produced over a clip.
type chain struct {
	watch *ViewWatch // nil: the chain as it was before view changes
	det   *Detector
	r     vision.Result

	changes  []string // "kind@seconds"
	tamper   []string // "kind:state@seconds"
	settling float64  // seconds with Result.Settling
	pending  float64  // seconds with Result.TamperPending
	modes    map[string]int
}

func newChain(t *testing.T, cfg Config, watch bool) *chain {
	t.Helper()
	c := &chain{modes: map[string]int{}}
	if watch {
		w, err := NewViewWatch(ViewConfig{})
		if err != nil {
			t.Fatal(err)
		}
		c.watch = w
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.det = d
	return c
}

// feed runs f (s seconds into the clip) through the chain; dt is the
// frame interval.
func (c *chain) feed(t *testing.T, f *frame.Frame, s, dt float64) {
	t.Helper()
	c.r.Reset(f.Time)
	if c.watch != nil {
		if err := c.watch.Analyze(f, &c.r); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.det.Analyze(f, &c.r); err != nil {
		t.Fatal(err)
	}
	if c.r.ViewChange != "" {
		c.changes = append(c.changes, fmt.Sprintf("%s@%.1f", c.r.ViewChange, s))
		t.Logf("%s at %.1f s: saturation %.1f, brightness step %.2f, edge correlation %.2f",
			c.r.ViewChange, s, f.Saturation, c.watch.lastStep, c.watch.lastCorr)
	}
	for _, e := range c.r.Events {
		c.tamper = append(c.tamper, fmt.Sprintf("%s:%s@%.1f", e.Kind, e.State, s))
	}
	if c.r.Settling {
		c.settling += dt
	}
	if c.r.TamperPending {
		c.pending += dt
	}
	c.modes[c.r.View]++
}

func (c *chain) close() {
	if c.watch != nil {
		c.watch.Close()
	}
	c.det.Close()
}

// playVtest plays vtest's first n frames (640 wide, times from t0) through
// the chains, then closes them: prepare makes each analysed frame's Gray
// and Saturation from the decoded picture raw, s seconds in, whose
// measured saturation is sat.
func playVtest(t *testing.T, n int, t0 time.Time, prepare func(raw gocv.Mat, f *frame.Frame, s, sat float64), chains ...*chain) {
	t.Helper()
	rd, err := testclip.Open(vtest, 640)
	if err != nil {
		t.Fatal(err)
	}
	f := frame.New(nil, nil)
	raw := gocv.NewMat()
	for i := 0; i < n; i++ {
		ts, ok := rd.Next(&raw, t0)
		if !ok {
			t.Fatal("vtest ended early")
		}
		s := ts.Sub(t0).Seconds()
		f.Time = ts
		prepare(raw, f, s, rd.Saturation())
		for _, c := range chains {
			c.feed(t, f, s, 0.1)
		}
	}
	rd.Close()
	raw.Close()
	f.Close()
	for _, c := range chains {
		c.close()
	}
}

// TestDayNightClip plays the day → infrared → day clip (scripts/
// testdata.sh: colour, then 10 s–70 s gray, −40 % luma, σ ≈ 6 noise, then
// colour) through the view watcher and the tamper detector at 640 wide
// and the clip's 10 fps, with the saturation the decoder would measure.
// (Without the watcher this clip raises nothing either: its night is as
// sharp as its day; TestInfraredFocusShift shows the night that is not.)
func TestDayNightClip(t *testing.T) {
	before := matCount()
	rd, err := testclip.Open(daynight, 640)
	if err != nil {
		t.Fatal(err)
	}
	// Video loss off: the run skips 20 s–60 s of the night (to keep the
	// test short), which would look like a stall.
	now := newChain(t, Config{Disable: []string{KindVideoLoss}}, true)
	t0 := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	f := frame.New(nil, nil)
	for n := 0; ; n++ {
		if n == 200 && !rd.Seek(600) {
			t.Fatal("cannot seek to frame 600")
		}
		ts, ok := rd.Next(&f.Gray, t0)
		if !ok {
			break
		}
		f.Time, f.Saturation = ts, rd.Saturation()
		now.feed(t, f, ts.Sub(t0).Seconds(), 0.1)
	}
	rd.Close()
	f.Close()
	now.close()
	if n := matCount() - before; n != 0 {
		t.Errorf("%d Mats leaked", n)
	}
	want := "day_to_ir@10.0 ir_to_day@70.1" // the first night frame is at 10.0, the first day frame at 70.1
	if got := strings.Join(now.changes, " "); got != want {
		t.Errorf("view changes %q, want %q", got, want)
	}
	if len(now.tamper) != 0 {
		t.Errorf("tamper events %q, want none: a switch to infrared is not tampering", now.tamper)
	}
	if now.settling < 5.9 || now.settling > 6.1 {
		t.Errorf("settling for %.1f s, want 6 (3 s after each switch)", now.settling)
	}
	if now.pending != 0 {
		t.Errorf("a tamper condition pending for %.1f s, want 0", now.pending)
	}
	if now.modes[vision.ViewIR] != 201 || now.modes[vision.ViewDay] != 194 {
		t.Errorf("modes %v, want 201 ir frames (10.0–20.0 s, 60.0–70.0 s) and 194 day", now.modes)
	}
}

// TestInfraredFocusShift: many day-focused lenses are soft under infrared
// light, and night noise reduction smooths the picture further. Without
// the view watcher the detector compares the night picture with the day's
// sharpness and raises defocus for the whole night; with it, the night
// view is learnt at the switch and nothing is raised. Real vtest frames;
// the night (10 s–40 s) is made gray, 40 % darker and blurred (σ 3).
func TestInfraredFocusShift(t *testing.T) {
	before := matCount()
	old, now := newChain(t, Config{}, false), newChain(t, Config{}, true)
	t0 := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	playVtest(t, 500, t0, func(raw gocv.Mat, f *frame.Frame, s, sat float64) {
		if s >= 10 && s < 40 {
			gocv.GaussianBlur(raw, &f.Gray, image.Pt(0, 0), 3, 0, gocv.BorderReplicate)
			f.Gray.ConvertToWithParams(&f.Gray, gocv.MatTypeCV8U, 0.6, 0)
			f.Saturation = 0
		} else {
			raw.CopyTo(&f.Gray)
			f.Saturation = sat
		}
	}, old, now)
	if n := matCount() - before; n != 0 {
		t.Errorf("%d Mats leaked", n)
	}
	// Before: defocus raised 2 s into the night, cleared 3 s after dawn.
	if !near(old.tamper, []string{"defocus:raised@12.0", "defocus:cleared@43.0"}, 0.3) {
		t.Errorf("without the watcher: tamper events %q, want defocus raised all night", old.tamper)
	}
	if want := "day_to_ir@10.0 ir_to_day@40.0"; strings.Join(now.changes, " ") != want {
		t.Errorf("view changes %q, want %q", now.changes, want)
	}
	if len(now.tamper) != 0 || now.pending != 0 {
		t.Errorf("with the watcher: tamper events %q, pending %.1f s; want none", now.tamper, now.pending)
	}
}

// TestViewWatchIsNotFooled: the watcher must not take tampering or an
// ordinary scene for a view change. Real vtest frames.
func TestViewWatchIsNotFooled(t *testing.T) {
	cases := []struct {
		name   string
		spells []spell
		sat    float64 // saturation of manipulated frames; -1 keeps the clip's
		want   string  // view changes
		tamper string  // tamper events of a Detector after the watcher
	}{
		{"nothing happens", nil, -1, "", ""},
		{"lens covered (dark, no colour)", []spell{{8, 13, covered}}, 0, "", "covered:raised@10.0 covered:cleared@16.0"},
		{"camera moved", []spell{{8, 20, shifted}}, -1, "", "scene_change:raised@10.0"},
		{"lights halved: a lighting step", []spell{{8, 20, dimmed}}, -1, "lighting@8.0", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := matCount()
			ch := newChain(t, Config{}, true)
			t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
			playVtest(t, 200, t0, func(raw gocv.Mat, f *frame.Frame, s, sat float64) {
				f.Saturation = sat
				raw.CopyTo(&f.Gray)
				for _, sp := range c.spells {
					if s >= sp.from && s < sp.to {
						sp.apply(raw, &f.Gray)
						if c.sat >= 0 {
							f.Saturation = c.sat
						}
					}
				}
			}, ch)
			if n := matCount() - before; n != 0 {
				t.Errorf("%d Mats leaked", n)
			}
			if got := strings.Join(ch.changes, " "); got != c.want {
				t.Errorf("view changes %q, want %q", got, c.want)
			}
			if want := strings.Fields(c.tamper); !near(ch.tamper, want, 0.3) {
				t.Errorf("tamper events %q, want %q", ch.tamper, want)
			}
		})
	}
}

func TestViewConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  ViewConfig
		want string
	}{
		{ViewConfig{GraySaturation: -1}, "gray_saturation"},
		{ViewConfig{GraySaturation: 6}, "colour_saturation"},
		{ViewConfig{Window: 11}, "window"},
		{ViewConfig{SameView: 1}, "same_view"},
		{ViewConfig{Settle: -time.Second}, "settle"},
		{ViewConfig{Contrast: 1}, "contrast"},
	} {
		if _, err := NewViewWatch(c.cfg); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.want)
		}
	}
}

// TestDarkInfraredIsNotCovered: a night view darker and flatter than the
// covered thresholds (mean < 50, contrast < 12 grey levels) is that view,
// not a covered lens, once the watcher has taken the switch; a real cover
// during the night is still raised and cleared. Real vtest frames, as a
// hazy day (contrast ×0.7) and a night under a weak infrared illuminator
// (×0.7 × 0.3 of vtest's contrast: the watcher still sees the same scene).
func TestDarkInfraredIsNotCovered(t *testing.T) {
	before := matCount()
	old, now := newChain(t, Config{}, false), newChain(t, Config{}, true)
	t0 := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	mean, sd := gocv.NewMat(), gocv.NewMat()
	darkest := 0.0
	playVtest(t, 500, t0, func(raw gocv.Mat, f *frame.Frame, s, sat float64) {
		switch {
		case s >= 25 && s < 32: // covered at night: black with sensor noise
			gocv.RandN(&f.Gray, gocv.NewScalar(8, 0, 0, 0), gocv.NewScalar(1.5, 0, 0, 0))
			f.Saturation = 0
		case s >= 10 && s < 40:
			raw.ConvertToWithParams(&f.Gray, gocv.MatTypeCV8U, 0.7*0.3, 4)
			f.Saturation = 0
			gocv.MeanStdDev(f.Gray, &mean, &sd)
			if m, d := mean.GetDoubleAt(0, 0), sd.GetDoubleAt(0, 0); m >= 50 || d >= 12 {
				t.Fatalf("night frame at %.1f s: mean %.1f, contrast %.1f; the test wants it inside the covered thresholds", s, m, d)
			} else {
				darkest = math.Max(darkest, d)
			}
		default:
			raw.ConvertToWithParams(&f.Gray, gocv.MatTypeCV8U, 0.7, 30)
			f.Saturation = sat
		}
	}, old, now)
	mean.Close()
	sd.Close()
	if n := matCount() - before; n != 0 {
		t.Errorf("%d Mats leaked", n)
	}
	t.Logf("night contrast up to %.1f grey levels; before: %q; now: %q", darkest, old.tamper, now.tamper)
	if len(old.tamper) == 0 || !strings.HasPrefix(old.tamper[0], "covered:raised@1") {
		t.Errorf("without the watcher: tamper events %q, want covered raised as the night starts (the case this fixes)", old.tamper)
	}
	if want := "day_to_ir@10.0 ir_to_day@40.0"; strings.Join(now.changes, " ") != want {
		t.Errorf("view changes %q, want %q", now.changes, want)
	}
	if !near(now.tamper, []string{"covered:raised@27.0", "covered:cleared@35.0"}, 0.3) {
		t.Errorf("with the watcher: tamper events %q, want only the real cover (raised ≈ 27 s, cleared ≈ 35 s)", now.tamper)
	}
}
