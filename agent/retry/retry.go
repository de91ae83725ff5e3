// Package retry is the agent's one way to retry: a Supervisor runs a
// session again and again until its context ends, pausing after each
// failure by a capped exponential Backoff with jitter, or by a longer
// pause a policy chooses for errors that retrying soon cannot fix. Camera
// streams and the MQTT session both run under it, so both retry the same
// way and a fix to retrying is made once. Components never retry inside
// themselves: they return the error and the supervisor decides.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Supervisor runs a session until its context ends. A session that ran
// for HealthyAfter counts as healthy and resets the backoff. The zero
// value plus Session is usable; Run may be called once.
type Supervisor struct {
	// Session is one session (connect, work); it returns when the
	// session fails (an error) or ctx ends (nil).
	Session func(ctx context.Context) error
	// Failed, when set, is told about every failed session and the pause
	// before the next attempt; it runs on Run's goroutine.
	Failed func(err error, pause time.Duration)
	// Pause, when set, may replace the backoff for errors that retrying
	// soon cannot fix (wrong credentials lock accounts, a wrong path stays
	// wrong): given the error and how many failures in a row it chose a
	// pause for (this one included), it returns the pause and true, or
	// false to use the backoff.
	Pause func(err error, streak int) (time.Duration, bool)
	// HealthyAfter defaults to 30 seconds.
	HealthyAfter time.Duration
	// Backoff is the pause sequence for other errors.
	Backoff Backoff
	// Sleep waits for d or ctx and reports whether d passed; nil uses
	// Sleep. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) bool
}

// Run supervises until ctx is cancelled and returns nil then.
func (s *Supervisor) Run(ctx context.Context) error {
	healthy := s.HealthyAfter
	if healthy <= 0 {
		healthy = 30 * time.Second
	}
	sleep := s.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	streak := 0
	for ctx.Err() == nil {
		start := time.Now()
		err := s.Session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) >= healthy {
			s.Backoff.Reset()
			streak = 0
		}
		var pause time.Duration
		long := false
		if s.Pause != nil {
			pause, long = s.Pause(err, streak+1)
		}
		if long {
			streak++
		} else {
			streak = 0
			pause = s.Backoff.Next()
		}
		if s.Failed != nil {
			s.Failed(err, pause)
		}
		if !sleep(ctx, pause) {
			return nil
		}
	}
	return nil
}

// Sleep waits for d or until ctx ends; it reports whether d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

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
