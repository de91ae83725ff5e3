package mqtt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/devices/urlcred"
)

// session is one MQTT connection.
type session struct {
	cl   paho.Client
	lost chan struct{}
	once sync.Once
	err  error
	// statusID is the id of the last status published over this session
	// (Run's goroutine only).
	statusID string
}

func (s *session) setLost(err error) {
	s.once.Do(func() { s.err = err; close(s.lost) })
}

func (s *session) isLost() bool {
	select {
	case <-s.lost:
		return true
	default:
		return false
	}
}

// serve runs one connection until it is lost or ctx is cancelled. Its
// error says why the spool was never sent over it (see readBack).
func (c *Client) serve(ctx context.Context, s *session) error {
	if err := c.readBack(ctx, s); err != nil {
		c.mu.Lock()
		if c.sess == s {
			c.sess = nil
		}
		c.mu.Unlock()
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); c.drain(sctx, s) }()
	tick := time.NewTicker(c.cfg.StatusInterval)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-s.lost:
			break loop
		case <-tick.C:
			if err := c.publishStatus(ctx, s, event.StateOnline); err != nil {
				c.log.Debug("mqtt: status refresh failed", "err", err)
			}
		}
	}
	cancel()
	<-done
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	c.mu.Unlock()
	return nil
}

// connect makes one connection attempt and sets the session up: command
// subscription, online status, remembered retained and pending messages.
func (c *Client) connect(ctx context.Context) (*session, error) {
	s := &session{lost: make(chan struct{})}
	o := paho.NewClientOptions().
		AddBroker(c.cfg.URL).
		SetClientID(c.cfg.ClientID).
		SetUsername(c.cfg.Username).
		SetPassword(c.cfg.Password).
		SetCleanSession(false).
		SetKeepAlive(c.cfg.Keepalive).
		SetConnectTimeout(c.cfg.ConnectTimeout).
		SetWriteTimeout(c.cfg.PublishTimeout).
		SetAutoReconnect(false). // Run reconnects, so it sees every error
		SetConnectRetry(false).
		SetOrderMatters(false).
		SetTLSConfig(c.tls).
		// A fresh will (own id) per connection, as the contract asks.
		SetBinaryWill(c.base+"status", event.OfflineWill(c.cfg.Site, c.cfg.Agent), 1, true).
		SetDefaultPublishHandler(c.onMessage).
		SetConnectionLostHandler(func(_ paho.Client, err error) { s.setLost(err) })
	s.cl = paho.NewClient(o)
	tok := s.cl.Connect()
	if err := wait(ctx, tok, c.cfg.ConnectTimeout+time.Second); err != nil {
		s.cl.Disconnect(0)
		return nil, c.explain(err)
	}
	sub := s.cl.Subscribe(c.base+"cmd/+", 1, nil)
	if err := wait(ctx, sub, c.cfg.PublishTimeout); err != nil {
		s.cl.Disconnect(0)
		return nil, fmt.Errorf("subscribe %scmd/+: %w", c.base, err)
	}
	if err := c.publishStatus(ctx, s, event.StateOnline); err != nil {
		s.cl.Disconnect(0)
		return nil, fmt.Errorf("publish online status: %w", err)
	}
	c.activate(ctx, s)
	return s, nil
}

// explain turns a connect error into one an operator can act on.
func (c *Client) explain(err error) error {
	if errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword) || errors.Is(err, packets.ErrorRefusedNotAuthorised) {
		return fmt.Errorf("broker %s refused the login of user %q (%v): check mqtt username and password",
			urlcred.Redact(c.cfg.URL), c.cfg.Username, err)
	}
	return fmt.Errorf("connect to %s: %w", urlcred.Redact(c.cfg.URL), err)
}

// shutdown publishes the offline status and disconnects.
func (c *Client) shutdown(s *session) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.PublishTimeout)
	defer cancel()
	if err := c.publishStatus(ctx, s, event.StateOffline); err != nil {
		c.log.Warn("mqtt: could not publish offline status; the broker's last will says it", "err", err)
	}
	s.cl.Disconnect(250)
	c.m.Connected(false)
	c.log.Info("mqtt: disconnected")
}

// wait waits for a paho token, ctx or the timeout, and returns the token's
// error.
func wait(ctx context.Context, tok paho.Token, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("no answer from the broker within %v", timeout)
	}
}
