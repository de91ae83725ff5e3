package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
)

// readBack checks, before the spool is sent over s, that the broker kept
// the retained status just published: with MQTT 3.1.1 a broker acknowledges
// a publish its ACL refused, so a wrong user name or ACL would otherwise
// count every spooled message delivered and lose it. Until the status is
// read back the spool is not sent (messages keep spooling); the check is
// repeated with a fresh status every ReadBackTimeout. It returns nil once
// the status came back, or why not when s was lost or ctx ended first
// (nil for ctx).
func (c *Client) readBack(ctx context.Context, s *session) error {
	got := make(chan string, 8)
	topic := c.base + "status"
	fail := func(err error) error {
		c.readBackFails++
		c.notKept.Log("err", err, "sessions", c.readBackFails)
		return err
	}
	refused := fmt.Sprintf("it refuses what user %q publishes (ACL), or the user is not this agent's; messages stay spooled and are not counted delivered", c.cfg.Username)
	tok := s.cl.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		var h event.Header
		if json.Unmarshal(m.Payload(), &h) == nil {
			select {
			case got <- h.ID:
			default: // the checker takes the latest; older ones do not matter
			}
		}
	})
	if err := wait(ctx, tok, c.cfg.PublishTimeout); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fail(fmt.Errorf("the broker dropped the connection or refused reading back this agent's retained status %s (%v): %s", topic, err, refused))
	}
	defer func() {
		// Best effort: the session may be gone; cmd/+ stays subscribed.
		s.cl.Unsubscribe(topic)
	}()
	for attempt := 1; ; attempt++ {
		want := s.statusID
		timer := time.NewTimer(c.cfg.ReadBackTimeout)
	wait:
		for {
			select {
			case id := <-got:
				if id == want {
					timer.Stop()
					if c.readBackFails > 0 || attempt > 1 {
						c.log.Info("mqtt: the broker keeps this agent's status now; sending the spool")
					}
					c.readBackFails = 0
					c.setErr(nil)
					return nil
				}
			case <-timer.C:
				break wait
			case <-s.lost:
				timer.Stop()
				return fail(fmt.Errorf("the connection dropped before the broker showed it keeps this agent's retained status %s: %s", topic, refused))
			case <-ctx.Done():
				timer.Stop()
				return nil
			}
		}
		err := fmt.Errorf("the broker did not keep this agent's retained status %s within %v: %s", topic, c.cfg.ReadBackTimeout, refused)
		c.setErr(err)
		c.notKept.Log("err", err, "attempts", attempt)
		// A failure shows at the next round (no status back, or s lost).
		_ = c.publishStatus(ctx, s, event.StateOnline)
	}
}
