package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
)

// outage is how long the broker is away in TestBrokerOutageLosesNothing:
// the 30 s of issue 6, several keepalive and reconnect-backoff rounds. It
// is the bulk of this package's test time.
const outage = 30 * time.Second

// producer publishes motion events of several cameras every period, as a
// running pipeline would, and counts what Publish accepted.
type producer struct {
	c       *Client
	cameras []string
	period  time.Duration
	mu      sync.Mutex
	n       map[string]int
	errs    []error
}

func (p *producer) run(d time.Duration) {
	if p.n == nil {
		p.n = map[string]int{}
	}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for _, cam := range p.cameras {
			err := p.c.Publish(context.Background(), motion(cam, p.n[cam]))
			p.mu.Lock()
			if err != nil {
				p.errs = append(p.errs, err)
			} else {
				p.n[cam]++
			}
			p.mu.Unlock()
		}
		time.Sleep(p.period)
	}
}

func (p *producer) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := 0
	for _, n := range p.n {
		t += n
	}
	return t
}

func TestBrokerOutageLosesNothing(t *testing.T) {
	// Persistence and a persistent subscriber session stand for the
	// command centre, which must not miss what arrives while it
	// reconnects itself.
	b := testbroker.Start(t, testbroker.WithPersistence())
	sub := testbroker.Subscribe(t, b.URL(), prefix+"+/event/#", testbroker.Persistent("command-centre"))
	cfg := testConfig(b.URL(), t.TempDir())
	cfg.ReconnectMax = 2 * time.Second
	m := &recMetrics{}
	c, _, _ := runClient(t, cfg, m)
	waitConnected(t, c)
	p := &producer{c: c, cameras: []string{"cam1", "cam2"}, period: 100 * time.Millisecond}

	p.run(time.Second)
	b.Stop()
	p.run(outage)
	if c.Connected() {
		t.Fatal("client says connected while the broker is down")
	}
	queued, bytes, oldest := c.SpoolStats()
	if queued == 0 || bytes == 0 || oldest < outage/2 {
		t.Fatalf("spool during the outage: %d messages, %d bytes, oldest %v", queued, bytes, oldest)
	}
	t.Logf("spooled during %v outage: %d messages, %d bytes (%d bytes/event), oldest %v", outage, queued, bytes, bytes/int64(queued), oldest)
	b.Start()
	p.run(time.Second)

	if len(p.errs) > 0 {
		t.Fatalf("Publish failed %d times, first: %v", len(p.errs), p.errs[0])
	}
	total := p.total()
	msgs := sub.Wait(t, 30*time.Second, "every event", eventsDone(total))
	dups := checkDelivery(t, msgs, map[string]uint64{"cam1": 1, "cam2": 1}, map[string]int{"cam1": p.n["cam1"], "cam2": p.n["cam2"]})
	t.Logf("%d events delivered, %d duplicates (ids make them detectable)", total, dups)
	deadline := time.Now().Add(5 * time.Second)
	for n, _, _ := c.SpoolStats(); n > 0; n, _, _ = c.SpoolStats() {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still spooled after delivery", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m.count("connected_false") == 0 || m.count("published_event") < total {
		t.Fatalf("metrics: %v", m.snapshot())
	}
}

func TestSpoolFullDropsOldestCountsKeepsEvents(t *testing.T) {
	b := testbroker.Start(t)
	b.Stop()
	cfg := testConfig(b.URL(), t.TempDir())
	cfg.Spool.MaxBytes = 16 << 10
	m := &recMetrics{}
	c, logs, stop := runClient(t, cfg, m)
	ctx := context.Background()
	const nCounts, nEvents = 30, 80
	now := time.Now()
	for i := 0; i < nCounts; i++ {
		msg := event.NewCounts(testSite, testAgent, "cam1", now, event.Counts{
			Start: event.Timestamp(now), End: event.Timestamp(now), TotalsSince: event.Timestamp(now),
		})
		if err := c.Publish(ctx, msg); err != nil {
			t.Fatalf("counts %d: %v", i, err)
		}
	}
	refused := 0
	for i := 0; i < nEvents; i++ {
		err := c.Publish(ctx, motion("cam1", i))
		switch {
		case errors.Is(err, ErrSpoolFull):
			refused++
		case err != nil:
			t.Fatal(err)
		case refused > 0:
			t.Fatalf("event %d accepted after an earlier one was refused", i)
		}
	}
	if refused == 0 || refused == nEvents {
		t.Fatalf("%d of %d events refused; the test wants the spool to fill part-way", refused, nEvents)
	}
	if got := m.count("dropped_full_counts"); got != nCounts {
		t.Fatalf("counts dropped: metric %d, want all %d before any event", got, nCounts)
	}
	if got := m.count("dropped_full"); got != refused {
		t.Fatalf("refused events: metric %d, Publish errors %d", got, refused)
	}
	if _, bytes, _ := c.SpoolStats(); bytes > cfg.Spool.MaxBytes {
		t.Fatalf("spool holds %d bytes, bound %d", bytes, cfg.Spool.MaxBytes)
	}

	b.Start()
	sub := testbroker.Subscribe(t, b.URL(), prefix+"#")
	// The status says what was dropped (published on connect).
	st := sub.WaitTopic(t, 10*time.Second, prefix+"status", `"online"`)
	var status event.AgentStatus
	if err := json.Unmarshal(st.Payload, &status); err != nil {
		t.Fatal(err)
	}
	if status.Spool.Dropped != int64(nCounts+refused) || status.Spool.MaxBytes != cfg.Spool.MaxBytes || status.Spool.Messages == 0 {
		t.Fatalf("agent status spool %+v; want %d dropped", status.Spool, nCounts+refused)
	}
	kept := nEvents - refused
	msgs := sub.Wait(t, 20*time.Second, "the kept events", eventsDone(kept))
	// Events keep their seq after the counts before them: 31, 32, …
	checkDelivery(t, msgs, map[string]uint64{"cam1": nCounts + 1}, map[string]int{"cam1": kept})
	if n := len(sub.On(prefix + "cam1/counts")); n != 0 {
		t.Fatalf("%d dropped counts were delivered", n)
	}
	stop()
	// The first drop is logged at once, the rest in the period's line.
	if n := strings.Count(logs.String(), "spool dropped messages"); n != 2 {
		t.Fatalf("%d drop summaries in the log, want 2 (the first drop, then one summary; not per message):\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "full_counts=1 ") || !strings.Contains(logs.String(), "full_counts=29 ") {
		t.Fatalf("summaries do not say how many counts were dropped (1 at once, then 29):\n%s", logs)
	}
}

// recMetrics records what the client reports.
type recMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *recMetrics) add(k string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[k] += n
}

func (r *recMetrics) count(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[k]
}

func (r *recMetrics) snapshot() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.n {
		out[k] = v
	}
	return out
}

func (r *recMetrics) Connected(up bool) {
	if up {
		r.add("connected_true", 1)
	} else {
		r.add("connected_false", 1)
	}
}
func (r *recMetrics) Published(kind string)     { r.add("published_"+kind, 1) }
func (r *recMetrics) PublishFailed(kind string) { r.add("failed_"+kind, 1) }
func (r *recMetrics) SpoolState(int, int64, time.Duration) {
	r.add("spool_state", 1)
}
func (r *recMetrics) SpoolDropped(reason string, n int) { r.add("dropped_"+reason, n) }
func (r *recMetrics) SpoolDisk(string)                  {}
