package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSupervisorRestartsWithBackoffUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs int
	var pauses []time.Duration
	s := Supervisor{
		Session: func(ctx context.Context) error {
			runs++
			if runs == 4 {
				cancel()
				<-ctx.Done()
				return nil
			}
			return errors.New("connection refused")
		},
		Failed: func(err error, pause time.Duration) { pauses = append(pauses, pause) },
		Sleep:  func(ctx context.Context, d time.Duration) bool { return ctx.Err() == nil },
	}
	s.Backoff.Rand = func() float64 { return 0.5 }
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run returned %v, want nil on cancel", err)
	}
	if runs != 4 {
		t.Fatalf("ran %d sessions, want 4", runs)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if len(pauses) != len(want) {
		t.Fatalf("pauses %v, want %v", pauses, want)
	}
	for i := range want {
		if pauses[i] != want[i] {
			t.Fatalf("pauses %v, want %v", pauses, want)
		}
	}
}

func TestSupervisorResetsBackoffAfterHealthySession(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pauses []time.Duration
	n := 0
	s := Supervisor{
		HealthyAfter: time.Nanosecond, // every session counts as healthy
		Session: func(ctx context.Context) error {
			n++
			if n > 3 {
				cancel()
			}
			return errors.New("stream ended")
		},
		Failed: func(err error, pause time.Duration) { pauses = append(pauses, pause) },
		Sleep:  func(ctx context.Context, d time.Duration) bool { return ctx.Err() == nil },
	}
	s.Backoff.Rand = func() float64 { return 0.5 }
	_ = s.Run(ctx)
	for _, p := range pauses {
		if p != time.Second {
			t.Fatalf("pauses %v: a healthy session must reset the backoff to 1s", pauses)
		}
	}
}
