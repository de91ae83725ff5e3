// Package hub is the command centre's side of Pantau: it subscribes to
// every site's messages on the central broker, validates them against the
// contract v1 schemas (agent/event), stores each once (hub/store) with the
// seq bookkeeping that shows what is missing, and serves them (hub/web).
//
// The hub shares only the contract (agent/event), the config structs of the
// mqtt and http keys (agent/config) and the logging helpers (agent/logging)
// with the agent; it imports none of the agent's runtime.
package hub

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/retry"
	"github.com/pantau/pantau/hub/config"
	"github.com/pantau/pantau/hub/store"
)

// Hub receives and stores. Create it with New; Run it once.
type Hub struct {
	cfg   *config.Config
	log   *slog.Logger
	store *store.Store
	m     *metrics
	chk   *checker
	lags  lagBook
	sum   *logging.Summariser

	// in carries checked messages from the MQTT callback to the writer; its
	// bound is the hub's back-pressure (a full queue stalls the callback,
	// and the broker holds the rest).
	in chan pending
	// stopping is closed when Run winds down: the callback then leaves
	// messages unacknowledged for the broker to send again.
	stopping chan struct{}

	mu      sync.Mutex
	refused map[[2]string]*logging.Counter // site, reason
}

// pending is a checked message waiting to be stored, and how to tell the
// broker it is safe.
type pending struct {
	msg store.Msg
	ack func()
}

// New returns a hub for cfg storing in st, with metrics on reg and logging
// to log. The caller closes st after Run returns.
func New(cfg *config.Config, st *store.Store, reg prometheus.Registerer, log *slog.Logger) *Hub {
	return &Hub{
		cfg:   cfg,
		log:   log,
		store: st,
		m:     newMetrics(reg),
		chk: &checker{maxPayload: cfg.Limits.MaxPayload, futureSkew: cfg.Limits.FutureSkew,
			rate: cfg.Limits.SiteRate, burst: float64(cfg.Limits.SiteBurst), maxSites: cfg.Limits.MaxSites,
			buckets: map[string]*bucket{}},
		sum:      logging.NewSummariser(log, 30*time.Second),
		in:       make(chan pending, 4096),
		stopping: make(chan struct{}),
		refused:  map[[2]string]*logging.Counter{},
	}
}

// Store is the hub's store, for the web server.
func (h *Hub) Store() *store.Store { return h.store }

// Lag returns one camera's lag histogram since the hub started.
func (h *Hub) Lag(site, agent, camera string) (LagStats, bool) {
	return h.lags.Lag(site, agent, camera)
}

// Run subscribes and stores until ctx is cancelled. It returns nil on
// cancel, after storing (and acknowledging) what it had received.
func (h *Hub) Run(ctx context.Context) error {
	sub, err := newSubscriber(h.cfg, h.log, h.receive, h.m.connected)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wctx, stopWriter := context.WithCancel(context.Background())
	wg.Add(2)
	go func() { defer wg.Done(); h.write(wctx) }()
	go func() { defer wg.Done(); h.prune(ctx) }()
	sumDone := make(chan struct{})
	go func() { defer close(sumDone); h.sum.Run(ctx) }() //nolint:errcheck // Run returns nil
	sub.start()
	<-ctx.Done()
	// Store and acknowledge what was received before leaving, so a
	// restart does not receive it again (it would be a duplicate, counted
	// but harmless).
	deadline := time.Now().Add(5 * time.Second)
	for len(h.in) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	close(h.stopping)
	stopWriter()
	wg.Wait()
	sub.stop(time.Second)
	<-sumDone
	return nil
}

// receive is the MQTT callback: check, count what is refused, queue the
// rest. ack tells the broker the message is handled.
func (h *Hub) receive(topic string, payload []byte, ack func()) {
	now := time.Now()
	v := h.chk.check(topic, payload, now)
	switch {
	case v.ignore:
		ack()
	case v.reason != "":
		h.refuse(v)
		ack()
	default:
		h.m.messages.WithLabelValues(v.site, v.msg.Schema).Inc()
		select {
		case h.in <- pending{msg: v.msg, ack: ack}:
			h.m.queue.Inc()
		case <-h.stopping:
		}
	}
}

func (h *Hub) refuse(v verdict) {
	h.m.invalid.WithLabelValues(v.site, v.reason).Inc()
	k := [2]string{v.site, v.reason}
	h.mu.Lock()
	c := h.refused[k]
	if c == nil {
		c = h.sum.Counter("refused %d messages in the last %s", "site", v.site, "reason", v.reason)
		h.refused[k] = c
		if v.err != nil {
			// The first of a kind is worth its detail; the summary counts the rest.
			h.log.Warn("refused a message", "site", v.site, "reason", v.reason, "err", v.err)
		}
	}
	h.mu.Unlock()
	c.Inc()
}

// write stores queued messages in batches and acknowledges them once
// committed. A failing store is retried with backoff; nothing is
// acknowledged meanwhile, so the broker keeps the messages.
func (h *Hub) write(ctx context.Context) {
	const maxBatch = 500
	batch := make([]pending, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case p := <-h.in:
			batch = append(batch, p)
		case <-ctx.Done():
			select {
			case p := <-h.in:
				batch = append(batch, p)
			default:
				return
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case p := <-h.in:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		h.storeBatch(batch)
	}
}

func (h *Hub) storeBatch(batch []pending) {
	msgs := make([]store.Msg, len(batch))
	for i, p := range batch {
		msgs[i] = p.msg
	}
	// The agent's one backoff: a store that is down for a while is not
	// hammered by every hub at the same instant.
	backoff := retry.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second}
	for {
		start := time.Now()
		res, err := h.store.Apply(context.Background(), msgs)
		if err == nil {
			h.m.storeTime.Observe(time.Since(start).Seconds())
			h.account(msgs, res)
			for _, p := range batch {
				p.ack()
			}
			h.m.queue.Sub(float64(len(batch)))
			return
		}
		h.m.storeErrs.Inc()
		pause := backoff.Next()
		h.log.Error("store failed; retrying", "messages", len(msgs), "err", err, "retry_in", pause)
		time.Sleep(pause)
	}
}

func (h *Hub) account(msgs []store.Msg, res []store.Result) {
	for i, r := range res {
		m := &msgs[i]
		site := h.chk.siteLabel(m.Site)
		switch {
		case r.Duplicate:
			h.m.duplicates.WithLabelValues(site).Inc()
			continue
		case r.LostSpool:
			h.m.lostSpool.WithLabelValues(site).Inc()
			h.log.Warn("seq started again at 1: the agent lost its spool", "site", m.Site, "agent", m.Agent, "camera", m.Camera)
		}
		if r.GapOpened > 0 {
			h.m.gaps.WithLabelValues(site).Add(float64(r.GapOpened))
		}
		lag := m.Recv.Sub(m.TS)
		h.m.lag.WithLabelValues(site).Observe(lag.Seconds())
		if m.Camera != "" {
			h.lags.observe(m.Site, m.Agent, m.Camera, lag)
		}
	}
}

// prune applies the retention once an hour (and once at start).
func (h *Hub) prune(ctx context.Context) {
	r := h.cfg.Retention
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := h.store.Prune(ctx, time.Now(), store.Retention{Events: r.Events, Counts: r.Counts, Hourly: r.Hourly, Daily: r.Daily, Seq: r.Seq})
		if err != nil {
			h.log.Error("retention", "err", err)
		} else if n > 0 {
			h.log.Info("retention removed old rows", "rows", n)
		}
		t.Reset(time.Hour)
	}
}

// String names the hub in logs.
func (h *Hub) String() string { return fmt.Sprintf("hub %s", h.cfg.MQTT.ClientID) }
