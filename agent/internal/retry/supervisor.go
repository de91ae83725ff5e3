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
