package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWatchdog(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cases := []struct {
		name    string
		limit   time.Duration
		gop     time.Duration
		any     bool // a picture came before
		after   time.Duration
		now     counts
		wantErr string
	}{
		{"fine", 0, 2 * time.Second, true, 9 * time.Second, counts{units: 250}, ""},
		{"nothing at all", 0, 2 * time.Second, true, 12 * time.Second, counts{}, "stream stalled: no picture for 12.0 s: 0 access units"},
		{"waiting for a keyframe", 0, 2 * time.Second, true, 12 * time.Second, counts{units: 250, waitingKey: 250},
			"stream stalled: no picture for 12.0 s: 250 access units, decoder waiting for a keyframe"},
		{"decode errors", 0, 2 * time.Second, true, 12 * time.Second, counts{units: 250, errors: 40},
			"stream stalled: no picture for 12.0 s: 250 access units, 40 decode errors"},
		{"long GOP: twice the GOP", 0, 15 * time.Second, true, 25 * time.Second, counts{units: 5}, ""},
		{"long GOP exceeded", 0, 15 * time.Second, true, 31 * time.Second, counts{units: 5}, "no picture for 31.0 s"},
		{"first keyframe may be far", 0, 0, false, 25 * time.Second, counts{units: 600, waitingKey: 600}, ""},
		{"configured", 3 * time.Second, 2 * time.Second, true, 4 * time.Second, counts{}, "no picture for 4.0 s"},
	}
	for _, c := range cases {
		w := watchdog{limit: c.limit}
		w.start(t0)
		if c.any {
			w.picture(t0, counts{})
		}
		err := w.check(t0.Add(c.after), c.gop, c.now)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: got %v, want %q", c.name, err, c.wantErr)
		}
	}
}
