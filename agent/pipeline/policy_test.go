package pipeline

import (
	"slices"
	"testing"
	"time"
)

func TestRateGate(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name string
		fps  float64
		pts  []time.Duration
		want string // one char per pts: x analysed, . skipped
	}{
		{"25 to 5 fps", 5, seq(0, 40*ms, 15), "x....x....x...."},
		{"10 to 5 fps", 5, seq(0, 100*ms, 6), "x.x.x."},
		{"slower than wanted", 5, seq(0, 500*ms, 4), "xxxx"},
		{"jitter keeps the cadence", 5, []time.Duration{0, 190 * ms, 210 * ms, 390 * ms, 420 * ms}, "x.x.x"},
		{"reordered within a slot", 5, []time.Duration{0, 120 * ms, 40 * ms, 80 * ms, 240 * ms, 160 * ms, 200 * ms}, "x...x.."},
		{"reordered into a free slot", 5, []time.Duration{0, 480 * ms, 240 * ms, 80 * ms, 160 * ms}, "xxx.."},
		{"backwards far restarts", 5, []time.Duration{0, 40 * ms, 5 * time.Second, 10 * ms, 50 * ms, 210 * ms}, "x.xx.x"},
		{"jump ahead restarts", 5, []time.Duration{0, 200 * ms, time.Hour, time.Hour + 40*ms, time.Hour + 200*ms}, "xxx.x"},
		{"100 fps to 5 fps", 5, seq(0, 10*ms, 41), "x...................x...................x"},
	}
	for _, c := range cases {
		g := rateGate{interval: time.Duration(float64(time.Second) / c.fps)}
		got := ""
		for _, p := range c.pts {
			if g.want(p) {
				got += "x"
			} else {
				got += "."
			}
		}
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// TestModeControlSpread: with randomness, cameras need between 3 and 9
// pressure ticks to step down, and wait between 1 and 1.5 holds to go up.
func TestModeControlSpread(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.99} {
		m := modeControl{fps: 5, gop: 2 * time.Second, pressureTicks: 3, minHold: 10 * time.Second, maxHold: time.Minute,
			rnd: func() float64 { return r }}
		now := time.Unix(1000, 0)
		ticks := 0
		for m.tick(now, true, true) != ModeKeyframes {
			ticks++
			now = now.Add(time.Second)
		}
		if want := 3 + int(r*6) - 1; ticks != want {
			t.Errorf("rnd %.2f: stepped down after %d ticks, want %d", r, ticks, want)
		}
		down := now
		for m.tick(now, false, true) != ModeFull {
			now = now.Add(time.Second)
		}
		if got, want := now.Sub(down), 10*time.Second+time.Duration(r*5*float64(time.Second)); got < want || got > want+time.Second {
			t.Errorf("rnd %.2f: stepped up after %v, want %v", r, got, want)
		}
	}
}

func seq(start, step time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = start + time.Duration(i)*step
	}
	return out
}

func TestModeControl(t *testing.T) {
	type tick struct {
		dropped, headroom bool
		want              string
	}
	F, K := ModeFull, ModeKeyframes
	cases := []struct {
		name  string
		fps   float64
		gop   time.Duration
		ticks []tick
	}{
		{"keyframes give the rate", 0.5, 2 * time.Second, []tick{{false, true, K}, {true, true, K}}},
		{"rate above keyframes", 5, 2 * time.Second, []tick{{false, true, F}, {false, false, F}}},
		{"gop unknown: full", 0.1, 0, []tick{{false, true, F}}},
		{"pressure steps down after 3 ticks, back after hold with headroom", 5, 2 * time.Second, []tick{
			{true, false, F}, {true, false, F}, {true, false, K}, // down at t=2
			{false, true, K}, {false, false, K}, {false, false, K}, // t=5: hold (3 s) passed, no headroom
			{false, true, F},                                  // t=6: headroom
			{true, true, F}, {true, true, F}, {true, true, K}, // t=9: pressure again soon after: hold doubles
			{false, true, K}, {false, true, K}, {false, true, K}, {false, true, K}, {false, true, K}, // t=10..14
			{false, true, F}, // t=15 = 9 + 6
		}},
		{"drops while down restart the hold", 5, 2 * time.Second, []tick{
			{true, true, F}, {true, true, F}, {true, true, K}, {false, true, K}, {true, true, K},
			{false, true, K}, {false, true, K}, {false, true, F},
		}},
	}
	for _, c := range cases {
		m := modeControl{fps: c.fps, gop: c.gop, pressureTicks: 3, minHold: 3 * time.Second, maxHold: time.Minute}
		now := time.Unix(1000, 0)
		for i, tk := range c.ticks {
			if got := m.tick(now, tk.dropped, tk.headroom); got != tk.want {
				t.Errorf("%s: tick %d: %s, want %s", c.name, i, got, tk.want)
				break
			}
			now = now.Add(time.Second)
		}
	}
}

// decodeOrder returns the presentation times of n pictures at step apart
// in the order an encoder sends them: an I or P picture every bf+1
// pictures, the B-pictures before it sent after it; with pyramid, the
// middle B first (it is a reference for the others).
func decodeOrder(n int, step time.Duration, bf int, pyramid bool) []time.Duration {
	var out []time.Duration
	for anchor := 0; anchor < n; anchor += bf + 1 {
		out = append(out, time.Duration(anchor)*step)
		if anchor == 0 {
			continue
		}
		first := anchor - bf
		var bs []int
		if pyramid && bf >= 3 {
			mid := first + bf/2
			bs = append(bs, mid)
			for b := first; b < anchor; b++ {
				if b != mid {
					bs = append(bs, b)
				}
			}
		} else {
			for b := first; b < anchor; b++ {
				bs = append(bs, b)
			}
		}
		for _, b := range bs {
			out = append(out, time.Duration(b)*step)
		}
	}
	return out
}

// TestRateGateBFrames: whatever the GOP structure, a 25 fps source sent
// in decode order is analysed at 5 fps ± 0.5, with no gap between
// analysed pictures longer than two intervals.
func TestRateGateBFrames(t *testing.T) {
	const n = 25 * 60 // a minute
	step := 40 * time.Millisecond
	for _, c := range []struct {
		name    string
		bf      int
		pyramid bool
	}{{"IPPP", 0, false}, {"IBP", 1, false}, {"IBBP", 2, false}, {"IBBBP pyramid", 3, true}, {"bframes=4", 4, false}, {"7 B pyramid", 7, true}} {
		g := rateGate{interval: 200 * time.Millisecond}
		var took []time.Duration
		for _, p := range decodeOrder(n, step, c.bf, c.pyramid) {
			if g.want(p) {
				took = append(took, p)
			}
		}
		slices.Sort(took)
		fps := float64(len(took)) / (time.Duration(n) * step).Seconds()
		if fps < 4.5 || fps > 5.5 {
			t.Errorf("%s: %.2f fps, want 5 ± 0.5", c.name, fps)
		}
		for i := 1; i < len(took); i++ {
			if gap := took[i] - took[i-1]; gap > 400*time.Millisecond || gap <= 0 {
				t.Errorf("%s: gap %v between %v and %v", c.name, gap, took[i-1], took[i])
				break
			}
		}
	}
}

func TestWallClock(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var c wallClock
	ms := time.Millisecond
	// I0 P3 B1 B2 arrive with network jitter; times follow the PTS.
	if got := c.at(0, t0); !got.Equal(t0) {
		t.Errorf("first: %v", got)
	}
	if got := c.at(120*ms, t0.Add(70*ms)); !got.Equal(t0.Add(120 * ms)) {
		t.Errorf("P3: %v", got.Sub(t0))
	}
	if got := c.at(40*ms, t0.Add(95*ms)); !got.Equal(t0.Add(40 * ms)) {
		t.Errorf("B1: %v", got.Sub(t0))
	}
	// A camera clock reset maps again.
	if got := c.at(0, t0.Add(time.Minute)); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("after reset: %v", got.Sub(t0))
	}
	// Handed-out times never go back.
	a := c.monotonic(t0.Add(time.Second))
	b := c.monotonic(t0)
	if !b.After(a) {
		t.Errorf("monotonic: %v then %v", a, b)
	}
}
