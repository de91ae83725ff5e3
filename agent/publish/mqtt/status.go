package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/publish/spool"
)

// SetStatus sets the provider of the retained agent status body. It is
// called on each connect and every StatusInterval, and at shutdown (then
// the client sets State to offline if the body is an *event.AgentStatus).
// Its result should be an *event.AgentStatus with State online and Spool
// from SpoolStatus. Without a provider the client publishes a minimal
// AgentStatus itself.
func (c *Client) SetStatus(fn func() event.Payload) {
	c.mu.Lock()
	c.statusFn = fn
	c.mu.Unlock()
}

// SpoolStats returns the spool's queued messages, their bytes and the age
// of the oldest.
func (c *Client) SpoolStats() (messages int, bytes int64, oldest time.Duration) {
	st := c.spool.Stats()
	return st.Messages, st.Bytes, st.Oldest
}

// SpoolStatus is the spool part of the agent status.
func (c *Client) SpoolStatus() event.SpoolStatus {
	st := c.spool.Stats()
	c.mu.Lock()
	defer c.mu.Unlock()
	return event.SpoolStatus{
		Messages:   int64(st.Messages),
		Bytes:      st.Bytes,
		MaxBytes:   c.spoolMax(),
		OldestAgeS: st.Oldest.Seconds(),
		Dropped:    c.droppedTotal,
		DiskError:  diskProblem(c.spool.Health()),
	}
}

func (c *Client) spoolMax() int64 {
	if c.cfg.Spool.MaxBytes > 0 {
		return c.cfg.Spool.MaxBytes
	}
	return 64 << 20 // the spool's default
}

// statusBody returns the agent status to publish in state.
func (c *Client) statusBody(state string) event.Payload {
	c.mu.Lock()
	fn := c.statusFn
	c.mu.Unlock()
	var p event.Payload
	if fn != nil {
		p = fn()
	}
	as, ok := p.(*event.AgentStatus)
	if p == nil || (state == event.StateOffline && !ok) {
		now := time.Now()
		m := event.NewAgentStatus(c.cfg.Site, c.cfg.Agent, now, event.AgentStatus{
			State:   state,
			Version: c.cfg.Version,
			Started: event.Timestamp(c.start),
			UptimeS: now.Sub(c.start).Seconds(),
			Spool:   c.SpoolStatus(),
		})
		return m.Body
	}
	if ok && as.State != state {
		cp := *as
		cp.State = state
		cp.ID = "" // a different message
		return &cp
	}
	return p
}

// publishStatus sends the retained agent status over s.
func (c *Client) publishStatus(ctx context.Context, s *session, state string) error {
	p := c.statusBody(state)
	h := p.Head()
	if h.ID == "" {
		h.ID = event.NewID()
	}
	if h.TS == "" {
		h.TS = event.Timestamp(time.Now())
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("marshal agent status: %w", err)
	}
	s.statusID = h.ID
	c.sendMu.Lock()
	tok := s.cl.Publish(c.base+"status", 1, true, b)
	c.sendMu.Unlock()
	if err := wait(ctx, tok, c.cfg.PublishTimeout); err != nil {
		c.m.PublishFailed("status")
		return err
	}
	c.m.Published("status")
	return nil
}

// onDrop is the spool's drop callback.
func (c *Client) onDrop(reason string, n int) {
	c.m.SpoolDropped(reason, n)
	c.drops.Add(reason, n)
	c.mu.Lock()
	c.droppedTotal += int64(n)
	c.mu.Unlock()
}

// spoolDetail is what the drop summary line says about the spool now.
func (c *Client) spoolDetail() []any {
	n, b, old := c.SpoolStats()
	return []any{"queued", n, "bytes", b, "oldest", old.Round(time.Second)}
}

// housekeeping expires old spool records and reports the spool's state,
// until ctx is cancelled.
func (c *Client) housekeeping(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Failures are kept in the spool's Health, reported just below.
		_ = c.spool.Expire()
		_ = c.spool.Probe()
		c.m.SpoolState(c.SpoolStats())
		c.m.SpoolDisk(diskProblem(c.spool.Health()))
	}
}

// diskProblem says why the spool's disk does not take writes, "" if it does.
func diskProblem(h spool.Health) string {
	if h.Err == nil {
		return ""
	}
	return fmt.Sprintf("spool disk not taking writes since %s: %v", h.Since.UTC().Format(time.RFC3339), h.Err)
}
