// Package fleetsim measures the hub against a simulated province: N site
// mosquittos bridged to a central one, one agent per site publishing
// through the agent's real publish path (agent/publish/mqtt with its disk
// spool) for M cameras each — counts every interval, events at a steady
// random rate — and the hub subscribed to the central broker. Mid-run it
// can restart the central broker, one site's bridge and the hub itself;
// at the end it checks that every message sent was stored exactly once
// and reports the lag, the hub's CPU and memory, and the database growth.
package fleetsim

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/publish/mqtt"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/hub/internal/fixture"
)

// Config describes one simulation. Zero fields take the defaults in their
// comments.
type Config struct {
	// Sites is the number of sites (one agent and one site broker each). It
	// defaults to 5.
	Sites int
	// Cameras per site. It defaults to 3.
	Cameras int
	// Duration of the traffic. It defaults to 30 s.
	Duration time.Duration
	// Interval of the counts messages. It defaults to 10 s.
	Interval time.Duration
	// EventsPerMinute per camera (line crossings). It defaults to 6.
	EventsPerMinute float64
	// Restarts, when set, restarts the central broker at 30 % of Duration,
	// site 0's broker (its bridge) at 50 % and the hub at 70 %, each down
	// for Outage.
	Restarts bool
	// Outage is how long each restarted part stays down. It defaults to
	// 3 s.
	Outage time.Duration
	// Dir holds brokers, spools and the database. Required.
	Dir string
	// HubBinary, when set, runs the hub as a child process
	// (HubBinary hub -c …), so its CPU and memory are its own; otherwise
	// the hub runs in this process.
	HubBinary string
	// Log receives progress; nil discards it.
	Log *slog.Logger
}

func (c *Config) defaults() {
	if c.Sites == 0 {
		c.Sites = 5
	}
	if c.Cameras == 0 {
		c.Cameras = 3
	}
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Interval == 0 {
		c.Interval = 10 * time.Second
	}
	if c.EventsPerMinute == 0 {
		c.EventsPerMinute = 6
	}
	if c.Outage == 0 {
		c.Outage = 3 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// sent is what the agents published, to check the store against.
type sent struct {
	mu     sync.Mutex
	ids    map[string]bool
	counts int
	events int
	// personIn sums the line crossings in of class person, per site.
	personIn map[string]int64
}

func (s *sent) add(id string, counts bool, site string, personIn int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[id] = true
	if counts {
		s.counts++
		s.personIn[site] += int64(personIn)
	} else {
		s.events++
	}
}

// Run runs the simulation and returns its report; an error means it could
// not run (the report's figures say whether the hub passed).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	if cfg.Dir == "" {
		return nil, fmt.Errorf("fleetsim: Dir is required")
	}
	central, err := testbroker.Run(testbroker.Config{Persistence: true, Dir: mkdir(cfg.Dir, "central")})
	if err != nil {
		return nil, err
	}
	defer central.Stop()
	h, err := startHub(ctx, cfg, central.URL())
	if err != nil {
		return nil, err
	}
	defer h.stop()
	sites := make([]*testbroker.Broker, cfg.Sites)
	for i := range sites {
		name := siteName(i)
		sites[i], err = testbroker.Run(testbroker.Config{Persistence: true, Dir: mkdir(cfg.Dir, "site-"+name), Bridges: []testbroker.Bridge{{
			Name: "central", ClientID: "bridge-" + name, Address: central.Addr(),
			Topics: []string{"pantau/v1/" + name + "/# out 1"}}}})
		if err != nil {
			return nil, err
		}
		defer sites[i].Stop()
	}
	cfg.Log.Info("fleet up", "sites", cfg.Sites, "cameras", cfg.Sites*cfg.Cameras, "hub", h.url)
	rec := &sent{ids: map[string]bool{}, personIn: map[string]int64{}}
	actx, stopAgents := context.WithCancel(ctx)
	var wg sync.WaitGroup
	clients := make([]*mqtt.Client, cfg.Sites)
	for i := range clients {
		name := siteName(i)
		c, err := mqtt.New(mqtt.Config{URL: sites[i].URL(), Site: name, Agent: "box-1", ClientID: "pantau-" + name,
			Version: "fleetsim", StatusInterval: 30 * time.Second,
			Spool: mqtt.SpoolConfig{Dir: mkdir(cfg.Dir, "spool-"+name), Fsync: "interval"}}, nil, nil)
		if err != nil {
			stopAgents()
			return nil, err
		}
		clients[i] = c
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(actx) }() //nolint:errcheck // returns nil on cancel
	}
	start := time.Now()
	gctx, stopGen := context.WithTimeout(ctx, cfg.Duration)
	var gen sync.WaitGroup
	for i, c := range clients {
		for j := range cfg.Cameras {
			gen.Add(1)
			go func() { defer gen.Done(); camera(gctx, cfg, c, siteName(i), fmt.Sprintf("cam%02d", j), rec) }()
		}
	}
	faults := make(chan []Fault, 1)
	go func() { faults <- inject(gctx, cfg, start, central, sites[0], h) }()
	gen.Wait()
	stopGen()
	report := &Report{Config: cfg, Faults: <-faults}
	report.Sent = int64(len(rec.ids))
	cfg.Log.Info("traffic done; waiting for the hub to store everything", "sent", report.Sent)
	drainErr := h.waitStored(ctx, rec, 60*time.Second+cfg.Duration/5)
	report.Elapsed = time.Since(start)
	stopAgents()
	wg.Wait()
	if err := h.measure(report); err != nil {
		return report, err
	}
	h.stop()
	if err := verify(ctx, cfg, h.dbURL, rec, report); err != nil {
		return report, err
	}
	if drainErr != nil {
		report.Notes = append(report.Notes, drainErr.Error())
	}
	return report, nil
}

func siteName(i int) string { return fmt.Sprintf("site-%02d", i) }

func mkdir(base, name string) string {
	d := filepath.Join(base, name)
	os.MkdirAll(d, 0o700) //nolint:errcheck // the broker or spool reports a missing directory
	return d
}

// camera is one camera's traffic: a camera status, a counts message every
// interval (aligned to the wall clock, like the agent's) and line crossings
// at random times.
func camera(ctx context.Context, cfg Config, c *mqtt.Client, site, cam string, rec *sent) {
	publish := func(m event.Message, counts bool, personIn int) {
		if err := c.Publish(context.Background(), m); err != nil {
			cfg.Log.Error("publish", "site", site, "camera", cam, "err", err)
			return
		}
		if m.Durable {
			rec.add(m.Body.Head().ID, counts, site, personIn)
		}
	}
	publish(fixture.CameraStatus(site, "box-1", cam, time.Now(), "online"), false, 0)
	rng := rand.New(rand.NewPCG(uint64(len(site)*1000+len(cam)), uint64(time.Now().UnixNano())))
	nextCount := time.Now().Truncate(cfg.Interval).Add(cfg.Interval)
	meanGap := time.Duration(float64(time.Minute) / cfg.EventsPerMinute)
	nextEvent := time.Now().Add(time.Duration(rng.ExpFloat64() * float64(meanGap)))
	track := 0
	for {
		next := nextCount
		if nextEvent.Before(next) {
			next = nextEvent
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		if !time.Now().Before(nextEvent) {
			track++
			publish(fixture.LineCross(site, "box-1", cam, time.Now(), "in", "person", track), false, 0)
			nextEvent = nextEvent.Add(time.Duration(rng.ExpFloat64() * float64(meanGap)))
		}
		if !time.Now().Before(nextCount) {
			in := rng.IntN(8)
			publish(fixture.Counts(site, "box-1", cam, nextCount, cfg.Interval, in, rng.IntN(5), rng.IntN(3)), true, in)
			nextCount = nextCount.Add(cfg.Interval)
		}
	}
}
