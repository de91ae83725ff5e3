package hub

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the hub's own health, on an injected registerer. Site labels
// are bounded by limits.max_sites (see otherSite).
type metrics struct {
	messages   *prometheus.CounterVec
	invalid    *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	lostSpool  *prometheus.CounterVec
	gaps       *prometheus.CounterVec
	lag        *prometheus.HistogramVec
	storeTime  prometheus.Histogram
	storeErrs  prometheus.Counter
	connected  prometheus.Gauge
	queue      prometheus.Gauge
}

// lagBuckets (seconds) span a live message (well under 1 s) to a spool
// replay after a long outage.
var lagBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_hub_messages_total",
			Help: "Valid messages received, by site and schema (duplicates included)."}, []string{"site", "schema"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_hub_invalid_total",
			Help: "Messages refused, by site and reason (too_large, topic, json, schema, future_ts, rate_limited)."}, []string{"site", "reason"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_hub_duplicates_total",
			Help: "Messages dropped because their id was already stored, by site."}, []string{"site"}),
		lostSpool: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_hub_lost_spool_total",
			Help: "Times a camera's seq started again at 1 (its agent lost the spool), by site."}, []string{"site"}),
		gaps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_hub_seq_gaps_opened_total",
			Help: "Seqs found missing when a later seq arrived, by site (they may arrive later)."}, []string{"site"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pantau_hub_lag_seconds",
			Help: "Hub receive time minus the message's ts, by site.", Buckets: lagBuckets}, []string{"site"}),
		storeTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pantau_hub_store_seconds",
			Help: "Time to store one batch of messages.", Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12)}),
		storeErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "pantau_hub_store_errors_total",
			Help: "Batches the store refused (they are retried; their messages stay unacknowledged)."}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_hub_connected",
			Help: "1 while the hub is connected to the central broker and subscribed."}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_hub_queue_messages",
			Help: "Messages received and waiting to be stored."}),
	}
	reg.MustRegister(m.messages, m.invalid, m.duplicates, m.lostSpool, m.gaps, m.lag, m.storeTime, m.storeErrs, m.connected, m.queue)
	return m
}
