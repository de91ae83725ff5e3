package agent

import (
	"context"
	"time"
)

// supervisor runs one camera's stream session again and again until its
// context ends: after a failure it waits (capped exponential backoff with
// jitter, 1 s → 60 s) and starts a new session. Retry lives here, never in
// the stream components. A session that ran for healthyAfter counts as
// healthy and resets the backoff.
type supervisor struct {
	// run is one session: connect, stream, analyse; it returns when the
	// stream fails (an error) or ctx ends (nil).
	run func(ctx context.Context) error
	// failed is told about every failed session and the pause before the
	// next attempt.
	failed func(err error, pause time.Duration)
	// healthyAfter defaults to 30 s.
	healthyAfter time.Duration
	backoff      backoff
	// sleep waits for d or ctx; tests replace it.
	sleep func(ctx context.Context, d time.Duration) bool
}

// Run supervises until ctx is cancelled and returns nil then.
func (s *supervisor) Run(ctx context.Context) error {
	healthy := s.healthyAfter
	if healthy <= 0 {
		healthy = 30 * time.Second
	}
	sleep := s.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	for ctx.Err() == nil {
		start := time.Now()
		err := s.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) >= healthy {
			s.backoff.Reset()
		}
		pause := s.backoff.Next()
		if s.failed != nil {
			s.failed(err, pause)
		}
		if !sleep(ctx, pause) {
			return nil
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
