package agent

import (
	"context"
	"errors"
	"time"

	"github.com/pantau/pantau/devices/rtsp"
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
	// pause, when set, may replace the backoff for errors that retrying
	// soon cannot fix (wrong credentials lock accounts, a wrong path stays
	// wrong): given the error and how many failures in a row it chose a
	// pause for (this one included), it returns the pause and true, or
	// false to use the backoff.
	pause func(err error, streak int) (time.Duration, bool)
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
	streak := 0
	for ctx.Err() == nil {
		start := time.Now()
		err := s.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) >= healthy {
			s.backoff.Reset()
			streak = 0
		}
		var pause time.Duration
		long := false
		if s.pause != nil {
			pause, long = s.pause(err, streak+1)
		}
		if long {
			streak++
		} else {
			streak = 0
			pause = s.backoff.Next()
		}
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

// Long retry pauses for errors that retrying soon cannot fix.
const (
	// authGrowth multiplies the auth pause after each refused login, up
	// to maxAuthRetry: with the 5 min default, logins at 0, 5, 20 and
	// 65 min, so a camera that locks the account for 30 min after a few
	// failures sees at most three logins in the first hour.
	authGrowth   = 3
	maxAuthRetry = time.Hour
	// notFoundRetry is the first pause after a wrong path or a stream
	// without video; it doubles up to maxNotFoundRetry.
	notFoundRetry    = time.Minute
	maxNotFoundRetry = 10 * time.Minute
)

// retryPause is the camera's supervisor pause policy: ErrAuth waits
// authRetry, growing authGrowth-fold per refusal in a row (capped at an
// hour, or authRetry when larger); ErrNotFound and ErrNoVideo wait a
// minute, doubling up to ten; everything else takes the backoff.
func retryPause(authRetry time.Duration) func(err error, streak int) (time.Duration, bool) {
	return func(err error, streak int) (time.Duration, bool) {
		grow := func(first, factor, limit time.Duration) time.Duration {
			d := first
			for i := 1; i < streak && d < limit; i++ {
				d *= factor
			}
			return min(d, max(limit, first))
		}
		switch {
		case errors.Is(err, rtsp.ErrAuth):
			return grow(authRetry, authGrowth, maxAuthRetry), true
		case errors.Is(err, rtsp.ErrNotFound), errors.Is(err, rtsp.ErrNoVideo):
			return grow(notFoundRetry, 2, maxNotFoundRetry), true
		}
		return 0, false
	}
}
