package agent

import (
	"math/rand/v2"
	"time"
)

// backoff is the pause between restarts of a failed camera stream: it
// doubles from Min to Max and each pause is jittered by ±Jitter so a site
// whose cameras all dropped at once does not reconnect them in lock-step.
// The zero value uses 1 s → 60 s with 20 % jitter.
type backoff struct {
	Min, Max time.Duration
	Jitter   float64
	// Rand returns a number in [0,1); nil uses math/rand.
	Rand func() float64

	next time.Duration
}

// Next returns the pause before the next attempt and advances the sequence.
func (b *backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = time.Minute
	}
	j := b.Jitter
	if j == 0 {
		j = 0.2
	}
	if b.next < lo {
		b.next = lo
	}
	d := b.next
	b.next *= 2
	if b.next > hi {
		b.next = hi
	}
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	d = time.Duration(float64(d) * (1 + j*(2*r()-1)))
	if d > hi {
		d = hi
	}
	return d
}

// Reset starts the sequence again from Min, after a stream ran long enough
// to count as healthy.
func (b *backoff) Reset() { b.next = 0 }
