package retry

import (
	"math/rand/v2"
	"time"
)

// Backoff is the pause between attempts of a failed session: it doubles
// from Min to Max and each pause is jittered by ±Jitter, so a site whose
// cameras (or agents) all dropped at once does not reconnect them in
// lock-step. The zero value uses 1 s → 60 s with 20 % jitter. Not safe for
// concurrent use: one Backoff per supervised session.
type Backoff struct {
	// Min is the first pause. It defaults to 1 second.
	Min time.Duration
	// Max caps the pause, jitter included. It defaults to 60 seconds.
	Max time.Duration
	// Jitter is the fraction each pause is spread by. It defaults to 0.2.
	Jitter float64
	// Rand returns a number in [0,1); nil uses math/rand.
	Rand func() float64

	next time.Duration
}

// Next returns the pause before the next attempt and advances the sequence.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = time.Minute
	}
	hi = max(hi, lo)
	j := b.Jitter
	if j == 0 {
		j = 0.2
	}
	if b.next < lo {
		b.next = lo
	}
	d := b.next
	b.next = min(2*b.next, hi)
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	return min(time.Duration(float64(d)*(1+j*(2*r()-1))), hi)
}

// Reset starts the sequence again from Min, after a session ran long
// enough to count as healthy.
func (b *Backoff) Reset() { b.next = 0 }
