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

func TestBackoffDoublesToCapAndResets(t *testing.T) {
	b := Backoff{Rand: func() float64 { return 0.5 }} // no jitter at 0.5
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for i, w := range want {
		if got := b.Next(); got != w*time.Second {
			t.Fatalf("step %d: got %v, want %v", i, got, w*time.Second)
		}
	}
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Fatalf("after reset: got %v, want 1s", got)
	}
}

func TestBackoffJitterStaysInBand(t *testing.T) {
	for _, r := range []float64{0, 0.25, 0.999} {
		b := Backoff{Rand: func() float64 { return r }}
		d := b.Next()
		if d < 800*time.Millisecond || d > 1200*time.Millisecond {
			t.Fatalf("rand %v: first pause %v outside 1s ±20%%", r, d)
		}
	}
	b := Backoff{Rand: func() float64 { return 0.999 }}
	for i := 0; i < 20; i++ {
		if d := b.Next(); d > time.Minute {
			t.Fatalf("pause %v above the 60s cap", d)
		}
	}
}

func TestBackoffMinAboveMaxUsesMin(t *testing.T) {
	b := Backoff{Min: 3 * time.Second, Max: time.Second, Rand: func() float64 { return 0.5 }}
	if d := b.Next(); d != 3*time.Second {
		t.Fatalf("got %v, want the 3s minimum", d)
	}
}
