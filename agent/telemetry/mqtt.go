package telemetry

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// MQTTMetrics records the MQTT publisher and its spool. It satisfies the
// publisher's Metrics interface (Connected, Published, PublishFailed,
// SpoolState, SpoolDropped). Safe for concurrent use.
type MQTTMetrics struct {
	connected     prometheus.Gauge
	published     *prometheus.CounterVec
	failures      *prometheus.CounterVec
	spoolMessages prometheus.Gauge
	spoolBytes    prometheus.Gauge
	spoolOldest   prometheus.Gauge
	spoolDropped  *prometheus.CounterVec
	spoolDiskOK   prometheus.Gauge

	up    atomic.Bool
	mu    sync.Mutex
	spool SpoolState
}

// SpoolState is the last spool state the publisher reported.
type SpoolState struct {
	// Messages waiting in the spool.
	Messages int
	// Bytes the spool uses.
	Bytes int64
	// Oldest is the age of the oldest message when it was reported.
	Oldest time.Duration
	// Reported is false until the publisher reported once.
	Reported bool
	// DiskProblem is why the spool's disk does not take writes, "" if it
	// does.
	DiskProblem string
}

func newMQTTMetrics() *MQTTMetrics {
	q := &MQTTMetrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_mqtt_connected",
			Help: "Whether the agent is connected to the MQTT broker (1) or not (0)."}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_mqtt_published_total",
			Help: "Messages acknowledged by the broker, by kind (event, counts, status, occupancy, command)."}, []string{"kind"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_mqtt_publish_failures_total",
			Help: "Publish attempts that failed or timed out (the message stays spooled), by kind."}, []string{"kind"}),
		spoolMessages: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_spool_messages",
			Help: "Messages waiting in the on-disk spool."}),
		spoolBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_spool_bytes",
			Help: "Bytes used by the on-disk spool."}),
		spoolOldest: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_spool_oldest_age_seconds",
			Help: "Age of the oldest message in the spool (0 when empty)."}),
		spoolDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_spool_dropped_total",
			Help: "Messages dropped from the spool, by reason (full, full_counts, age, corrupt, too_big, disk_full, disk_error)."}, []string{"reason"}),
		spoolDiskOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_spool_disk_ok",
			Help: "Whether the spool's disk takes writes (1) or not (0: full, read-only, failing)."}),
	}
	q.spoolDiskOK.Set(1)
	q.init()
	return q
}

// Label values created at 0, so that rate() sees a series before the
// first event: the publisher's message kinds and spool drop reasons.
var (
	knownKinds        = []string{"event", "counts", "status", "occupancy", "command_result"}
	knownSpoolReasons = []string{"full", "full_counts", "age", "corrupt", "too_big", "disk_full", "disk_error"}
)

func (q *MQTTMetrics) init() {
	for _, k := range knownKinds {
		q.published.WithLabelValues(k)
		q.failures.WithLabelValues(k)
	}
	for _, r := range knownSpoolReasons {
		q.spoolDropped.WithLabelValues(r)
	}
}

func (q *MQTTMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{q.connected, q.published, q.failures, q.spoolMessages,
		q.spoolBytes, q.spoolOldest, q.spoolDropped, q.spoolDiskOK}
}

// Connected records whether the broker connection is up.
func (q *MQTTMetrics) Connected(up bool) {
	q.up.Store(up)
	if up {
		q.connected.Set(1)
	} else {
		q.connected.Set(0)
	}
}

// IsConnected returns the last state given to Connected.
func (q *MQTTMetrics) IsConnected() bool { return q.up.Load() }

// Published counts a message of kind acknowledged by the broker.
func (q *MQTTMetrics) Published(kind string) { q.published.WithLabelValues(kind).Inc() }

// PublishFailed counts a failed publish attempt of kind.
func (q *MQTTMetrics) PublishFailed(kind string) { q.failures.WithLabelValues(kind).Inc() }

// SpoolState records the spool's size and the age of its oldest message.
func (q *MQTTMetrics) SpoolState(messages int, bytes int64, oldest time.Duration) {
	q.spoolMessages.Set(float64(messages))
	q.spoolBytes.Set(float64(bytes))
	q.spoolOldest.Set(oldest.Seconds())
	q.mu.Lock()
	q.spool = SpoolState{Messages: messages, Bytes: bytes, Oldest: oldest, Reported: true, DiskProblem: q.spool.DiskProblem}
	q.mu.Unlock()
}

// SpoolDisk records why the spool's disk does not take writes ("" when it
// does); /readyz reports it.
func (q *MQTTMetrics) SpoolDisk(problem string) {
	if problem == "" {
		q.spoolDiskOK.Set(1)
	} else {
		q.spoolDiskOK.Set(0)
	}
	q.mu.Lock()
	q.spool.DiskProblem = problem
	q.mu.Unlock()
}

// Spool returns the last reported spool state.
func (q *MQTTMetrics) Spool() SpoolState {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.spool
}

// SpoolDropped counts n messages dropped from the spool for reason.
func (q *MQTTMetrics) SpoolDropped(reason string, n int) {
	q.spoolDropped.WithLabelValues(reason).Add(float64(n))
}
