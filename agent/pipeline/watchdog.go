package pipeline

import (
	"errors"
	"fmt"
	"time"
)

// ErrStalled is wrapped by Run's error when the session produced no
// decoded picture for the stall timeout (Config.StallTimeout): packets may
// still flow (RTCP of a frozen encoder, a stream without keyframes, slices
// the decoder refuses), so only the pictures tell. The caller ends the
// session and reconnects.
var ErrStalled = errors.New("stream stalled")

// Stall timeout defaults: the larger of defaultStall and stallGOPs times
// the observed keyframe interval; while no keyframe interval is known
// and none has been decoded yet, at least firstPictureStall, since a
// long-GOP camera's first keyframe may be 30 s away.
const (
	defaultStall      = 10 * time.Second
	stallGOPs         = 2
	firstPictureStall = 30 * time.Second
)

// watchdog notices a session that stopped yielding pictures. It is used
// from the decoder goroutine only.
type watchdog struct {
	limit  time.Duration // Config.StallTimeout; 0 = automatic
	last   time.Time     // last decoded picture, or the session start
	any    bool          // a picture was decoded in this session
	atLast counts        // counters at last
}

// counts are the pipeline and decoder counters the reason is made from.
type counts struct {
	units, waitingKey, errors uint64
}

func (w *watchdog) start(now time.Time) { w.last = now }

// picture records that the decoder produced a picture.
func (w *watchdog) picture(now time.Time, c counts) {
	w.last, w.any, w.atLast = now, true, c
}

// timeout is the stall timeout for a stream whose GOP is gop (0 unknown).
func (w *watchdog) timeout(gop time.Duration) time.Duration {
	if w.limit > 0 {
		return w.limit
	}
	d := max(defaultStall, stallGOPs*gop)
	if !w.any && gop == 0 {
		d = max(d, firstPictureStall)
	}
	return d
}

// check returns an error wrapping ErrStalled when no picture came for the
// timeout, saying what did come instead.
func (w *watchdog) check(now time.Time, gop time.Duration, c counts) error {
	idle := now.Sub(w.last)
	if idle < w.timeout(gop) {
		return nil
	}
	units := c.units - w.atLast.units
	why := fmt.Sprintf("no picture for %.1f s: %d access units", idle.Seconds(), units)
	switch {
	case c.errors > w.atLast.errors:
		why += fmt.Sprintf(", %d decode errors", c.errors-w.atLast.errors)
	case c.waitingKey > w.atLast.waitingKey:
		why += ", decoder waiting for a keyframe"
	}
	return fmt.Errorf("%w: %s", ErrStalled, why)
}
