package agent

import (
	"errors"
	"time"

	"github.com/pantau/pantau/devices/rtsp"
)

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
