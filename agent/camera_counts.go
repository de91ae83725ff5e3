package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/aggregate"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/publish/mqtt"
	"github.com/pantau/pantau/vision"
)

// intervalClock is one camera's counting: it feeds each analysed frame to
// the camera's aggregator and, on a clock of its own, closes the count
// intervals and lets the tickers (tamper's video loss) speak while no
// frame comes. Closing an interval publishes durably (a spool append, an
// fsync): when that is slow only this camera's clock waits, never another
// camera's nor a config reload. Methods are safe for concurrent use.
type intervalClock struct {
	metrics cameraMetrics
	pub     publisher
	log     *slog.Logger
	// tickers returns the analyzers to call every second.
	tickers func() []ticker
	// pubFailed feeds the agent's log summary with publish failures the
	// publisher does not summarise itself.
	pubFailed *logging.Counter
	// every is the clock's period; it defaults to 1 s.
	every time.Duration
	// occ is only touched by the analyzer goroutine (add).
	occ occupancyGauges

	// flushing counts renew's flushes of replaced aggregators still
	// publishing; the camera waits for them when it stops.
	flushing sync.WaitGroup

	mu      sync.Mutex
	agg     aggregator    // replaced by renew
	current config.Camera // the camera's config with analytics updates applied
}

// aggregator turns per-frame results into events and counts
// (agent/aggregate).
type aggregator interface {
	Add(r *vision.Result)
	AddEvent(ev vision.Event)
	Tick(now time.Time)
	Flush(now time.Time)
}

// run ticks until ctx ends. The caller flushes the partial interval after.
func (k *intervalClock) run(ctx context.Context) {
	every := k.every
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			k.tick(now)
		}
	}
}

// tick closes the intervals that ended by now and adds what the tickers
// noticed.
func (k *intervalClock) tick(now time.Time) {
	agg := k.aggregator()
	agg.Tick(now)
	for _, t := range k.tickers() {
		for _, ev := range t.Tick(now) {
			agg.AddEvent(ev)
		}
	}
}

// add takes one analysed frame's result; it runs on the pipeline's
// analyzer goroutine.
func (k *intervalClock) add(r *vision.Result) {
	for i := range r.Events {
		ev := &r.Events[i]
		if ev.Type == vision.EventLineCross {
			k.metrics.LineCrossing(ev.Rule, ev.Direction, ev.Class)
		}
	}
	k.occ.update(r.Occupancy, k.metrics.ZoneOccupancy)
	k.aggregator().Add(r)
}

// aggregator returns the current aggregator.
func (k *intervalClock) aggregator() aggregator {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.agg
}

// config is the camera's config as now applied, analytics updates
// included.
func (k *intervalClock) config() config.Camera {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.current
}

// renew starts a new aggregator for cc, so counts name the new rules, and
// flushes the old one (its partial interval is published) on a goroutine
// of its own: a reload does not wait for a slow spool append.
func (k *intervalClock) renew(cc config.Camera, aggCfg aggregate.Config) {
	agg := aggregate.New(aggCfg, k.emit)
	now := time.Now()
	k.mu.Lock()
	prev := k.agg
	k.agg, k.current = agg, cc
	k.mu.Unlock()
	k.flushing.Add(1)
	go func() {
		defer k.flushing.Done()
		prev.Flush(now)
	}()
}

// emit hands an aggregator's message to the publisher. Durable messages
// are on disk when Publish returns. A spool that refused the message
// (full, disk failing) has counted and summarised the drop already; only
// other failures go to this camera's summary line.
func (k *intervalClock) emit(m event.Message) {
	if lc, ok := m.Body.(*event.LineCross); ok && !k.wantsCrossing(lc.Rule, lc.Direction) {
		return // lines[].direction: counted, not raised as an event
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := k.pub.Publish(ctx, m)
	if err == nil {
		return
	}
	if !errors.Is(err, mqtt.ErrSpoolFull) && !errors.Is(err, mqtt.ErrSpoolDisk) {
		k.pubFailed.Inc()
	}
	k.log.Debug("publishing", "topic", m.Subtopic, "err", err)
}

// wantsCrossing applies lines[].direction: which crossings of a line are
// raised as events (counts always hold both directions).
func (k *intervalClock) wantsCrossing(rule, direction string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, l := range k.current.Lines {
		if l.Name == rule {
			return l.Direction == "" || l.Direction == config.DirectionBoth || l.Direction == direction
		}
	}
	return true
}

// aggregateConfig is the aggregation of camera cc under cfg.
func aggregateConfig(cfg *config.Config, cc config.Camera) aggregate.Config {
	return aggregate.Config{
		Site: cfg.Site, Agent: cfg.Agent, Camera: cc.Name, Interval: cfg.Counts.Interval,
		Lines: ruleNames(cc.Lines), Zones: zoneNames(cc.Zones),
	}
}

func ruleNames(ls []config.Line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Name
	}
	return out
}

func zoneNames(zs []config.Zone) []string {
	out := make([]string, len(zs))
	for i, z := range zs {
		out[i] = z.Name
	}
	return out
}
