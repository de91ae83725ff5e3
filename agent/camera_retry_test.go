package agent

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/retry"
	"github.com/pantau/pantau/devices/rtsp"
)

// TestRetryPause: wrong credentials wait auth_retry, then three times
// longer each time (a camera that locks the account for 30 min sees at
// most three logins in the first hour); a wrong path waits a minute,
// doubling; other errors take the backoff.
func TestRetryPause(t *testing.T) {
	auth := fmt.Errorf("rtsp …: describe: wrong credentials: %w", rtsp.ErrAuth)
	notFound := fmt.Errorf("rtsp …: describe: %w", rtsp.ErrNotFound)
	p := retryPause(5 * time.Minute)
	var at time.Duration
	logins := 1 // the first, at 0
	for streak := 1; ; streak++ {
		d, long := p(auth, streak)
		if !long {
			t.Fatal("auth error took the backoff")
		}
		if streak == 1 && d != 5*time.Minute || d > time.Hour {
			t.Fatalf("auth pause %d: %v", streak, d)
		}
		if at += d; at >= time.Hour {
			break
		}
		logins++
	}
	if logins > 3 {
		t.Errorf("%d logins in the first hour, want at most 3", logins)
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for i, w := range want {
		if d, long := p(notFound, i+1); !long || d != w {
			t.Errorf("not found pause %d: %v, want %v", i+1, d, w)
		}
	}
	if _, long := p(errors.New("connection refused"), 1); long {
		t.Error("a network error took a long pause")
	}
}

// TestSupervisorLongPause: the supervisor uses the pause policy's answer
// and goes back to the backoff for other errors.
func TestSupervisorLongPause(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := []error{rtsp.ErrAuth, rtsp.ErrAuth, errors.New("refused"), rtsp.ErrAuth}
	var pauses []time.Duration
	n := 0
	s := retry.Supervisor{
		Session: func(ctx context.Context) error {
			if n == len(errs) {
				cancel()
				return nil
			}
			n++
			return errs[n-1]
		},
		Pause:  retryPause(time.Minute),
		Failed: func(err error, pause time.Duration) { pauses = append(pauses, pause) },
		Sleep:  func(ctx context.Context, d time.Duration) bool { return ctx.Err() == nil },
	}
	s.Backoff.Rand = func() float64 { return 0.5 }
	_ = s.Run(ctx)
	want := []time.Duration{time.Minute, 3 * time.Minute, time.Second, time.Minute}
	if fmt.Sprint(pauses) != fmt.Sprint(want) {
		t.Errorf("pauses %v, want %v", pauses, want)
	}
}
