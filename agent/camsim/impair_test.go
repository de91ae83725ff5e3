package camsim

import (
	"testing"
	"time"
)

func TestParseImpairments(t *testing.T) {
	if a, f, err := ParseStall("10s:5s"); err != nil || a != 10*time.Second || f != 5*time.Second {
		t.Errorf("stall 10s:5s: %v %v %v", a, f, err)
	}
	if n, d, err := ParseLockout("5:30m"); err != nil || n != 5 || d != 30*time.Minute {
		t.Errorf("lockout 5:30m: %v %v %v", n, d, err)
	}
	for _, bad := range []string{"10s", "x:5s", "10s:y", ""} {
		if _, _, err := ParseStall(bad); err == nil {
			t.Errorf("stall %q accepted", bad)
		}
	}
	for _, bad := range []string{"0:1m", "-1:1m", "a:1m", "5"} {
		if _, _, err := ParseLockout(bad); err == nil {
			t.Errorf("lockout %q accepted", bad)
		}
	}
	for _, im := range []Impairments{{Loss: 1.5}, {Jitter: -1}, {LockoutAfter: 3}, {StallAfter: -time.Second}} {
		if im.check() == nil {
			t.Errorf("%+v accepted", im)
		}
	}
}

func TestStalled(t *testing.T) {
	im := Impairments{StallAfter: 10 * time.Second, StallFor: 5 * time.Second}
	for at, want := range map[time.Duration]bool{0: false, 9 * time.Second: false, 10 * time.Second: true, 14 * time.Second: true, 15 * time.Second: false} {
		if got := im.stalled(at); got != want {
			t.Errorf("stall 10s:5s at %v: %v", at, got)
		}
	}
	if !(Impairments{StallAfter: time.Second}).stalled(time.Hour) {
		t.Error("stall 1s:0 (for ever) ended")
	}
	if !(Impairments{RTCPOnly: true}).stalled(0) {
		t.Error("rtcp-only sends video")
	}
}

// TestLockout: after N wrong logins every login is refused for T, the
// right one too; then the right one is accepted.
func TestLockout(t *testing.T) {
	l := lockout{after: 3, dur: time.Minute}
	t0 := time.Unix(0, 0)
	steps := []struct {
		at       time.Duration
		right    bool
		accepted bool
	}{
		{0, false, false}, {1, false, false}, {2, false, false}, // locked from here
		{10 * time.Second, true, false}, {59 * time.Second, true, false},
		{61 * time.Second, true, true},
	}
	for i, s := range steps {
		if got := l.login(s.right, t0.Add(s.at)); got != s.accepted {
			t.Errorf("step %d (%v, right %v): accepted %v", i, s.at, s.right, got)
		}
	}
	if l.attempts != 6 || l.refusedLock != 2 {
		t.Errorf("attempts %d, refused while locked %d", l.attempts, l.refusedLock)
	}
}
