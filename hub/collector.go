package hub

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantau/pantau/hub/store"
)

// storeCollector exposes what the database knows, read at scrape time (at
// most every 5 s; scrapes in between get the last reading): today's counts
// per site, rule and class, and the missing seqs per camera.
type storeCollector struct {
	h *Hub

	today, missing, cameras *prometheus.Desc

	mu   sync.Mutex
	at   time.Time
	last []prometheus.Metric
}

// Collector returns the collector of the hub's store-derived gauges; the
// caller registers it next to the hub's own metrics.
func (h *Hub) Collector() prometheus.Collector {
	return &storeCollector{h: h,
		today: prometheus.NewDesc("pantau_hub_counts_today",
			"Counts since midnight (hub time zone), per site, rule and class; direction is in/out for lines and entries/exits for zones.",
			[]string{"site", "rule", "class", "direction"}, nil),
		missing: prometheus.NewDesc("pantau_hub_missing_seq",
			"Seqs still missing in the camera's current epoch.", []string{"site", "agent", "camera"}, nil),
		cameras: prometheus.NewDesc("pantau_hub_cameras",
			"Cameras known to the hub, by site and last reported state.", []string{"site", "state"}, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.today
	ch <- c.missing
	ch <- c.cameras
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 5*time.Second {
		if ms, err := c.read(); err == nil {
			c.last, c.at = ms, time.Now()
		} else {
			c.h.log.Error("metrics: read the store", "err", err)
		}
	}
	for _, m := range c.last {
		ch <- m
	}
}

func (c *storeCollector) read() ([]prometheus.Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now().In(c.h.cfg.Location())
	mid := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	tot, err := c.h.store.Totals(ctx, mid, now.Add(time.Hour))
	if err != nil {
		return nil, err
	}
	// Sites folded into "other" (and a line and a zone of one name) must
	// add up, not repeat a label set.
	today := map[[4]string]int64{}
	for _, t := range tot {
		site := c.h.chk.siteLabel(t.Site)
		dirs := [2]string{"in", "out"}
		if t.Kind == store.KindZone {
			dirs = [2]string{"entries", "exits"}
		}
		today[[4]string{site, t.Rule, t.Class, dirs[0]}] += t.In
		today[[4]string{site, t.Rule, t.Class, dirs[1]}] += t.Out
	}
	var out []prometheus.Metric
	for k, n := range today {
		out = append(out, prometheus.MustNewConstMetric(c.today, prometheus.GaugeValue, float64(n), k[0], k[1], k[2], k[3]))
	}
	cams, err := c.h.store.Cameras(ctx)
	if err != nil {
		return nil, err
	}
	states := map[[2]string]int{}
	missing := map[[3]string]int64{}
	for _, cam := range cams {
		var n int64
		for _, m := range cam.Missing {
			n += m[1] - m[0] + 1
		}
		site := c.h.chk.siteLabel(cam.Site)
		missing[[3]string{site, cam.Agent, cam.Camera}] += n
		st := cam.State
		if st == "" {
			st = "unknown"
		}
		states[[2]string{site, st}]++
	}
	for k, n := range missing {
		out = append(out, prometheus.MustNewConstMetric(c.missing, prometheus.GaugeValue, float64(n), k[0], k[1], k[2]))
	}
	for k, n := range states {
		out = append(out, prometheus.MustNewConstMetric(c.cameras, prometheus.GaugeValue, float64(n), k[0], k[1]))
	}
	return out, nil
}
