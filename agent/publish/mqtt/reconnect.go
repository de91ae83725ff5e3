package mqtt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/devices/urlcred"
)

// stableAfter is how long a connection must last for its loss to count as
// an outage rather than a refusal in disguise; it is also when the
// supervisor resets its backoff.
const stableAfter = 10 * time.Second

// reconnects is one connection as a supervised session (Session and
// Failed of a retry.Supervisor), and what the log says about failures.
// Used from Run's goroutine only.
type reconnects struct {
	c        *Client
	failures int // failed attempts since the last connection
	flaps    int // connections in a row lost within stableAfter
	// One line a minute at most for each, through the one summariser.
	cannotConnect, lost, flapping *logging.Repeated
}

func newReconnects(c *Client) *reconnects {
	return &reconnects{
		c: c,
		cannotConnect: c.sum.Repeated(time.Minute,
			"mqtt: cannot connect; messages are spooled until the broker is back", "url", urlcred.Redact(c.cfg.URL)),
		lost: c.sum.Repeated(time.Minute,
			"mqtt: connection lost; messages are spooled until it is back", "url", urlcred.Redact(c.cfg.URL)),
		flapping: c.sum.Repeated(time.Minute,
			"mqtt: connection keeps dropping right after connecting; is another client using the same client id?",
			"client_id", c.cfg.ClientID),
	}
}

// close logs what is pending and unregisters the warnings.
func (r *reconnects) close() {
	r.cannotConnect.Remove()
	r.lost.Remove()
	r.flapping.Remove()
}

// sessionLost ends a session that was connected: the connection was lost,
// or (readBack) the broker would not show the agent's status back.
type sessionLost struct {
	err      error
	up       time.Duration
	readBack bool
}

func (e *sessionLost) Error() string { return e.err.Error() }
func (e *sessionLost) Unwrap() error { return e.err }

// session connects, serves the connection until it is lost, and returns
// why; nil when ctx ended (then it published offline and disconnected).
func (r *reconnects) session(ctx context.Context) error {
	c := r.c
	s, err := c.connect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if r.flaps == 0 {
		c.log.Info("mqtt: connected", "url", urlcred.Redact(c.cfg.URL), "client_id", c.cfg.ClientID, "attempts", r.failures+1)
	}
	r.failures = 0
	c.m.Connected(true)
	up := time.Now()
	rbErr := c.serve(ctx, s)
	if ctx.Err() != nil {
		c.shutdown(s)
		return nil
	}
	c.m.Connected(false)
	if rbErr != nil {
		return &sessionLost{err: rbErr, up: time.Since(up), readBack: true} // logged by readBack
	}
	return &sessionLost{err: s.err, up: time.Since(up)}
}

// failed records why a session ended and logs it, summarised.
func (r *reconnects) failed(err error, pause time.Duration) {
	c := r.c
	var lost *sessionLost
	if !errors.As(err, &lost) {
		r.failures++
		c.setErr(err)
		c.m.Connected(false)
		r.cannotConnect.Log("attempts", r.failures, "retry_in", pause.Round(time.Millisecond), "err", err)
		return
	}
	if lost.readBack {
		c.setErr(lost.err)
	} else {
		c.setErr(fmt.Errorf("connection lost: %w", lost.err))
	}
	if lost.up < stableAfter {
		// Lost again right after connecting (typically another client
		// with the same client id, which the broker kicks us for): the
		// supervisor backs off, and the log names the likely cause.
		r.flaps++
	} else {
		r.flaps = 0
	}
	switch {
	case lost.readBack:
	case r.flaps <= 1:
		r.lost.Log("err", lost.err)
	default:
		r.flapping.Log("drops", r.flaps, "err", lost.err)
	}
}
