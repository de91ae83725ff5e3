// Package mqtt publishes the agent's messages to an MQTT broker with paho,
// following contract v1 (docs/mqtt.md):
//
//   - Durable messages (events, counts) go to the disk spool first
//     (agent/publish/spool); Publish returns once they are there. A sender
//     goroutine sends them in spool order at QoS 1 and removes each from
//     the spool only after its PUBACK. After a reconnect it starts again
//     from the oldest unacknowledged one, so a message may arrive twice
//     (same id) but never out of order per camera, and none is lost.
//   - Other messages (statuses, occupancy, command results) are sent at
//     QoS 1 while connected; retained ones are remembered (latest per
//     topic) and sent again after each reconnect, others wait latest per
//     topic while disconnected.
//   - The retained agent status pantau/v1/{site}/{agent}/status is
//     published online on each connect and every StatusInterval, with the
//     last will offline (retained); a graceful shutdown publishes offline
//     itself.
//   - Commands arrive on …/cmd/{name} and are answered on
//     …/cmd/{name}/result.
//
// Run owns the connection: one connection is a session under the agent's
// one retry supervisor (agent/retry), which reconnects with the
// same backoff and jitter as camera streams; on cancel Run publishes
// offline and disconnects. Repeated warnings go through the agent's one
// log summariser (agent/logging).
package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/publish"
	"github.com/pantau/pantau/agent/publish/spool"
	"github.com/pantau/pantau/agent/retry"
)

// Metrics receives the client's figures; agent/telemetry implements it.
// Methods are called from several goroutines.
type Metrics interface {
	// Connected is called with true on connect and false on loss.
	Connected(up bool)
	// Published counts a message the broker acknowledged; kind is
	// "event", "counts", "status", "occupancy", "command_result" or "other".
	Published(kind string)
	// PublishFailed counts a send that failed or timed out (spooled
	// messages are retried).
	PublishFailed(kind string)
	// SpoolState is the spool's size, about once a second.
	SpoolState(messages int, bytes int64, oldest time.Duration)
	// SpoolDropped counts messages dropped by the spool, by reason
	// ("full", "full_counts", "age", "corrupt", "too_big", "disk_full",
	// "disk_error").
	SpoolDropped(reason string, n int)
	// SpoolDisk is why the spool's disk does not take writes ("" when it
	// does), about once a second.
	SpoolDisk(problem string)
}

type nopMetrics struct{}

func (nopMetrics) Connected(bool)                       {}
func (nopMetrics) Published(string)                     {}
func (nopMetrics) PublishFailed(string)                 {}
func (nopMetrics) SpoolState(int, int64, time.Duration) {}
func (nopMetrics) SpoolDropped(string, int)             {}
func (nopMetrics) SpoolDisk(string)                     {}

// CommandHandler carries out commands; the agent implements it. body has
// been validated against the command's schema. The returned result goes in
// the CommandResult (it must marshal to JSON); an error's text becomes the
// result's error and must hold no secrets.
type CommandHandler interface {
	HandleCommand(ctx context.Context, name string, body []byte) (result any, err error)
}

var _ publish.Publisher = (*Client)(nil)

// Client is the MQTT publisher. Create it with New, run Run in a goroutine,
// and call Publish from anywhere. All methods are safe for concurrent use.
type Client struct {
	cfg   Config
	m     Metrics
	log   *slog.Logger
	spool *spool.Spool
	tls   *tls.Config
	base  string // pantau/v1/{site}/{agent}/
	start time.Time
	wake  chan struct{}
	gate  cmdGate
	// sum logs the client's repeated warnings; ownSum when the client
	// made it (and Run runs it).
	sum    *logging.Summariser
	ownSum bool
	// drops tallies spool drops by reason for the log.
	drops *logging.Tally
	// unacked is the sender's "spooled message not acknowledged".
	unacked *logging.Repeated
	// notKept is readBack's "the broker does not keep our status".
	notKept *logging.Repeated
	// cmdSlots bounds the commands being handled or answered at once;
	// cmdFlood logs the ones dropped beyond it.
	cmdSlots chan struct{}
	cmdFlood *logging.Repeated

	// sendMu keeps direct sends in call order (a stale retained value
	// never overtakes a fresh one).
	sendMu sync.Mutex

	mu       sync.Mutex
	sess     *session
	runCtx   context.Context
	running  bool
	statusFn func() event.Payload
	handler  CommandHandler
	retained map[string][]byte
	pending  map[string][]byte
	lastErr  error
	// droppedTotal counts spool drops since start (agent status).
	droppedTotal int64
	// readBackFails counts sessions in a row whose status was not read
	// back (Run's goroutine only).
	readBackFails int

	closeOnce sync.Once
	closeErr  error
}

// New checks cfg, fills its defaults and opens the spool. m may be nil.
// Publish works right away (durable messages are spooled); nothing is sent
// until Run connects. Call Run, or Close if Run is never called.
func New(cfg Config, m Metrics, log *slog.Logger) (*Client, error) {
	if err := cfg.defaults(); err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	if m == nil {
		m = nopMetrics{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		cfg: cfg, m: m, log: log, tls: tlsCfg,
		base:     event.TopicPrefix + "/" + cfg.Site + "/" + cfg.Agent + "/",
		start:    time.Now(),
		wake:     make(chan struct{}, 1),
		retained: map[string][]byte{},
		pending:  map[string][]byte{},
		sum:      cfg.Summary,
		cmdSlots: make(chan struct{}, maxCommandsInFlight),
	}
	if c.sum == nil {
		c.sum, c.ownSum = logging.NewSummariser(log, 0), true
	}
	c.drops = c.sum.Tally("mqtt: spool dropped messages", c.spoolDetail)
	c.unacked = c.sum.Repeated(0, "mqtt: spooled message not acknowledged; resending from the oldest")
	c.cmdFlood = c.sum.Repeated(time.Minute, "mqtt: commands dropped unanswered: too many at once", "limit", maxCommandsInFlight)
	c.notKept = c.sum.Repeated(time.Minute,
		"mqtt: the broker does not show this agent's retained status back; the spool is not sent").AtLevel(slog.LevelError)
	opt := cfg.spoolOptions()
	opt.OnDrop = c.onDrop
	opt.OnDurable = c.kick
	opt.Log = log
	c.spool, err = spool.Open(cfg.Spool.Dir, opt)
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	return c, nil
}

// Close closes the spool. Run does it when it returns; Close is for a
// client whose Run was never called. It is safe to call twice.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.spool.Close()
		if !c.ownSum {
			// The agent's summariser outlives the client: hand over what
			// is pending now and stop counting.
			c.unacked.Remove()
			c.notKept.Remove()
			c.cmdFlood.Remove()
			c.drops.Remove()
		}
	})
	return c.closeErr
}

// Connected reports whether the client is connected to the broker now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil
}

// LastError is why the last connection attempt failed or the connection
// was lost; nil while connected.
func (c *Client) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Run connects and keeps the connection, sending the spool and answering
// commands, until ctx is cancelled; then it publishes the offline status,
// disconnects, closes the spool and returns nil. Connection failures are
// not returned: they are logged (summarised), counted and retried by the
// supervisor while Publish keeps spooling. Run may be called once.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return errors.New("mqtt: Run called twice")
	}
	c.running, c.runCtx = true, ctx
	c.mu.Unlock()
	defer c.Close()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.housekeeping(ctx) }()
	defer wg.Wait()

	r := newReconnects(c)
	defer r.close()
	sumCtx, sumCancel := context.WithCancel(context.Background())
	sumDone := make(chan struct{})
	go func() {
		defer close(sumDone)
		if c.ownSum {
			_ = c.sum.Run(sumCtx)
		}
	}()
	defer func() { sumCancel(); <-sumDone }() // after the last session's lines
	sv := retry.Supervisor{
		Session:      r.session,
		Failed:       r.failed,
		HealthyAfter: stableAfter,
		Backoff:      retry.Backoff{Min: c.cfg.ReconnectMin, Max: c.cfg.ReconnectMax},
	}
	return sv.Run(ctx)
}

func (c *Client) setErr(err error) {
	c.mu.Lock()
	c.lastErr = err
	c.mu.Unlock()
}
