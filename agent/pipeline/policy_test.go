package pipeline

import (
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
		{"backwards restarts", 5, []time.Duration{0, 40 * ms, 200 * ms, 10 * ms, 50 * ms, 210 * ms}, "x.xx.x"},
		{"jump ahead restarts", 5, []time.Duration{0, 200 * ms, time.Hour, time.Hour + 40*ms, time.Hour + 200*ms}, "xxx.x"},
		{"100 fps to 5 fps", 5, seq(0, 10*ms, 41), "x...................x...................x"},
	}
	for _, c := range cases {
		g := rateGate{interval: time.Duration(float64(time.Second) / c.fps)}
		got := ""
		for _, p := range c.pts {
			if g.want(p) {
				got += "x"
				g.took(p)
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
