package retry

import (
	"testing"
	"time"
)

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
