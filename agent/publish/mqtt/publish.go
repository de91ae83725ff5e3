package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/publish/spool"
	"github.com/pantau/pantau/agent/retry"
)

// ErrSpoolFull is returned (wrapped) by Publish when the full-spool policy
// refused a durable message. The drop is already counted in
// Metrics.SpoolDropped and summarised in the log: callers need not log it.
var ErrSpoolFull = spool.ErrFull

// ErrSpoolDisk is returned (wrapped) by Publish when the spool's disk did
// not take a durable message (full, read-only, failing). The drop is
// counted (reason disk_full or disk_error) and summarised in the log;
// the seq it was given stays used, so subscribers see the gap.
var ErrSpoolDisk = spool.ErrDisk

// ErrTooLarge is returned (wrapped) by Publish for a message whose JSON is
// larger than Config.MaxPayload.
var ErrTooLarge = errors.New("payload exceeds max_payload")

// Publish accepts a message. It fills the header's ID when empty.
//
// A Durable message gets the next Seq of msg.Camera and is written to the
// spool; Publish returns once it is there (fsync'ed by default), and the
// sender delivers it when the broker is reachable. Any other message is
// sent at QoS 1 now if connected (Publish waits for the PUBACK, at most
// PublishTimeout); while disconnected it is kept, latest per topic, and
// sent after the next connect, and Publish returns nil. Retained messages
// are also sent again after every reconnect.
//
// Publish changes msg.Body's header (ID, Seq); do not publish the same body
// from two goroutines at once.
func (c *Client) Publish(ctx context.Context, msg event.Message) error {
	if msg.Body == nil {
		return fmt.Errorf("mqtt: publish %q: nil body", msg.Subtopic)
	}
	if err := checkSubtopic(msg.Subtopic); err != nil {
		return fmt.Errorf("mqtt: publish: %w", err)
	}
	h := msg.Body.Head()
	if h.ID == "" {
		h.ID = event.NewID()
	}
	topic := c.base + msg.Subtopic
	if msg.Durable {
		return c.publishDurable(ctx, msg, topic)
	}
	h.Seq = 0
	b, err := c.marshal(msg)
	if err != nil {
		return err
	}
	return c.publishDirect(ctx, topic, b, msg.Retained, kindOf(msg.Subtopic))
}

func (c *Client) marshal(msg event.Message) ([]byte, error) {
	b, err := json.Marshal(msg.Body)
	if err != nil {
		return nil, fmt.Errorf("mqtt: publish %s: %w", msg.Subtopic, err)
	}
	if len(b) > c.cfg.MaxPayload {
		return nil, fmt.Errorf("mqtt: publish %s: %d bytes: %w (%d)", msg.Subtopic, len(b), ErrTooLarge, c.cfg.MaxPayload)
	}
	return b, nil
}

func (c *Client) publishDurable(ctx context.Context, msg event.Message, topic string) error {
	kind := spool.KindEvent
	if msg.Subtopic == "counts" || strings.HasSuffix(msg.Subtopic, "/counts") {
		kind = spool.KindCounts
	}
	h := msg.Body.Head()
	_, err := c.spool.Append(ctx, msg.Camera, kind, topic, msg.Retained, func(seq uint64) ([]byte, error) {
		h.Seq = seq
		return c.marshal(msg)
	})
	if err != nil {
		return fmt.Errorf("mqtt: publish %s: %w", msg.Subtopic, err)
	}
	return nil
}

// kick wakes the sender: records became durable (the spool's OnDurable).
func (c *Client) kick() {
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// publishDirect sends a non-spooled message, or keeps it for the next
// connection. A message whose send fails is kept too (retained ones always
// are); Publish returns nil when the connection was lost under it, since
// it will be sent after the reconnect.
func (c *Client) publishDirect(ctx context.Context, topic string, b []byte, retained bool, kind string) error {
	c.sendMu.Lock()
	c.mu.Lock()
	s := c.sess
	if retained {
		c.retained[topic] = b
	} else if s == nil {
		c.pending[topic] = b
	}
	c.mu.Unlock()
	if s == nil {
		c.sendMu.Unlock()
		return nil
	}
	tok := s.cl.Publish(topic, 1, retained, b)
	c.sendMu.Unlock()
	err := waitSession(ctx, s, tok, c.cfg.PublishTimeout)
	if err == nil {
		c.m.Published(kind)
		return nil
	}
	c.m.PublishFailed(kind)
	if !retained {
		c.mu.Lock()
		if _, newer := c.pending[topic]; !newer {
			c.pending[topic] = b
		}
		c.mu.Unlock()
	}
	var netErr *net.OpError
	if errors.Is(err, errLost) || errors.Is(err, paho.ErrNotConnected) || errors.As(err, &netErr) {
		// paho saw the loss before our handler did, or its write hit the
		// dead socket first (broken pipe, closed connection).
		return nil
	}
	return fmt.Errorf("mqtt: publish %s: %w (kept; sent again after the next connect)", topic, err)
}

var errLost = errors.New("connection lost")

// waitSession is wait that also gives up when s's connection is lost
// (paho completes a QoS 1 token only on its PUBACK).
func waitSession(ctx context.Context, s *session, tok paho.Token, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-s.lost:
		return errLost
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("no PUBACK within %v", timeout)
	}
}

// activate makes s the current session and sends what waited for it.
func (c *Client) activate(ctx context.Context, s *session) {
	type out struct {
		topic    string
		b        []byte
		retained bool
		tok      paho.Token
	}
	c.sendMu.Lock()
	c.mu.Lock()
	c.sess, c.lastErr = s, nil
	var outs []out
	for t, b := range c.retained {
		outs = append(outs, out{topic: t, b: b, retained: true})
	}
	for t, b := range c.pending {
		outs = append(outs, out{topic: t, b: b})
	}
	c.pending = map[string][]byte{}
	c.mu.Unlock()
	for i := range outs {
		outs[i].tok = s.cl.Publish(outs[i].topic, 1, outs[i].retained, outs[i].b)
	}
	c.sendMu.Unlock()
	// Wake the sender for messages spooled while disconnected.
	select {
	case c.wake <- struct{}{}:
	default:
	}
	go func() {
		for _, o := range outs {
			kind := kindOf(strings.TrimPrefix(o.topic, c.base))
			if err := wait(ctx, o.tok, c.cfg.PublishTimeout); err != nil {
				c.m.PublishFailed(kind)
			} else {
				c.m.Published(kind)
			}
		}
	}()
}

// flight is a spooled message sent and waiting for its PUBACK.
type flight struct {
	index uint64
	kind  string
	tok   paho.Token
	sent  time.Time
}

// drain sends the spool over s in order, acking each record after its
// PUBACK, until ctx is cancelled. On a failed or late PUBACK it starts
// again from the oldest unacknowledged record.
func (c *Client) drain(ctx context.Context, s *session) {
	var (
		after    uint64 // last index handed to paho
		inflight []flight
		failures int
	)
	reset := func(reason string, err error) {
		failures++
		c.unacked.Log("reason", reason, "err", err, "failures", failures)
		inflight, after = nil, 0
	}
	for {
		for len(inflight) < c.cfg.Inflight {
			r, ok, err := c.spool.Next(after)
			if err != nil {
				return // the spool is closed
			}
			if !ok {
				break
			}
			tok := s.cl.Publish(r.Topic, 1, r.Retained, r.Payload)
			inflight = append(inflight, flight{index: r.Index, kind: r.Kind.String(), tok: tok, sent: time.Now()})
			after = r.Index
		}
		if len(inflight) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-c.wake:
			}
			continue
		}
		f := inflight[0]
		timer := time.NewTimer(max(time.Until(f.sent.Add(c.cfg.PublishTimeout)), 0))
		select {
		case <-f.tok.Done():
			timer.Stop()
			if err := f.tok.Error(); err != nil {
				c.m.PublishFailed(f.kind)
				reset("error", err)
				if !retry.Sleep(ctx, c.cfg.ReconnectMin) {
					return
				}
				continue
			}
			if err := c.spool.Ack(f.index); err != nil {
				c.log.Error("mqtt: spool ack failed; the message may be sent again", "err", err)
			}
			c.m.Published(f.kind)
			inflight = inflight[1:]
			failures = 0
		case <-timer.C:
			c.m.PublishFailed(f.kind)
			reset("timeout", fmt.Errorf("no PUBACK within %v", c.cfg.PublishTimeout))
		case <-c.wake:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
			if !s.isLost() {
				c.finish(inflight)
			}
			return
		}
	}
}

// finish waits a little for PUBACKs still due at shutdown, so fewer
// messages are sent twice after a restart.
func (c *Client) finish(inflight []flight) {
	deadline := time.After(min(c.cfg.PublishTimeout, 2*time.Second))
	for _, f := range inflight {
		select {
		case <-f.tok.Done():
			if f.tok.Error() == nil {
				_ = c.spool.Ack(f.index)
				c.m.Published(f.kind)
			}
		case <-deadline:
			return
		}
	}
}

func checkSubtopic(s string) error {
	switch {
	case s == "":
		return errors.New("empty subtopic")
	case strings.ContainsAny(s, "+#\x00"):
		return fmt.Errorf("subtopic %q: wildcards and NUL are not allowed", s)
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return fmt.Errorf("subtopic %q: empty topic level", s)
	}
	return nil
}

// kindOf names a subtopic's message kind for metrics.
func kindOf(sub string) string {
	switch {
	case sub == "status" || strings.HasSuffix(sub, "/status"):
		return "status"
	case strings.HasSuffix(sub, "/occupancy"):
		return "occupancy"
	case strings.HasSuffix(sub, "/counts"):
		return "counts"
	case strings.HasPrefix(sub, "cmd/") && strings.HasSuffix(sub, "/result"):
		return "command_result"
	case strings.Contains(sub, "/event/"):
		return "event"
	}
	return "other"
}
