// Package telemetry exposes the agent's Prometheus metrics and its HTTP
// endpoints /metrics, /healthz and /readyz.
//
// Metrics live on a Registerer the caller injects (never the global one).
// Label sets are bounded: camera, rule, zone, class, direction, reason,
// analyzer, mode and kind take values from the config and from a fixed set
// of names in the code, never URLs or free text. Every method is safe for
// concurrent use.
//
// The per-camera object, CameraMetrics, satisfies the Metrics interfaces
// the pipeline declares; MQTTMetrics satisfies the publisher's.
package telemetry

import (
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the root of the agent's metrics. Make one with New per
// registry.
type Metrics struct {
	now func() time.Time

	streamUp       *prometheus.GaugeVec
	framesReceived *prometheus.CounterVec
	framesDecoded  *prometheus.CounterVec
	framesAnalysed *prometheus.CounterVec
	framesDropped  *prometheus.CounterVec
	decodeSeconds  *prometheus.HistogramVec
	analyseSeconds *prometheus.HistogramVec
	reconnects     *prometheus.CounterVec
	decodeMode     *prometheus.GaugeVec
	decodeErrors   *prometheus.CounterVec
	lineCrossings  *prometheus.CounterVec
	zoneOccupancy  *prometheus.GaugeVec
	lastFrameAge   *prometheus.Desc

	configOK   prometheus.Gauge
	configTime prometheus.Gauge

	view     *viewMetrics
	mqtt     *MQTTMetrics
	detector *DetectorMetrics

	mu      sync.Mutex
	cameras map[string]*CameraMetrics
	config  configState
}

type configState struct {
	loaded   bool // a config was applied at least once
	lastOK   bool
	lastTime time.Time
}

// Option changes how New builds Metrics.
type Option func(*options)

type options struct {
	now       func() time.Time
	noRuntime bool
}

// WithClock sets the clock used for frame ages (for tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithoutRuntimeCollectors leaves out the Go and process collectors, for a
// registry that already has them.
func WithoutRuntimeCollectors() Option { return func(o *options) { o.noRuntime = true } }

// Buckets for per-frame durations: 0.5 ms … 2.5 s.
var frameBuckets = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// New creates the agent's metrics and registers them, together with
// pantau_build_info{version,goversion} and (unless WithoutRuntimeCollectors)
// the Go and process collectors, on reg. It fails only if reg already holds
// metrics of the same names.
func New(reg prometheus.Registerer, version string, opts ...Option) (*Metrics, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	cam := []string{"camera"}
	m := &Metrics{
		now:     o.now,
		cameras: map[string]*CameraMetrics{},
		streamUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pantau_stream_up",
			Help: "Whether the camera's stream is connected and delivering frames (1) or not (0)."}, cam),
		framesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_frames_received_total",
			Help: "Access units (frames) received from the camera."}, cam),
		framesDecoded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_frames_decoded_total",
			Help: "Frames decoded."}, cam),
		framesAnalysed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_frames_analysed_total",
			Help: "Frames that went through the analyzers."}, cam),
		framesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_frames_dropped_total",
			Help: "Frames dropped before analysis, by reason."}, []string{"camera", "reason"}),
		decodeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pantau_decode_seconds",
			Help: "Time to decode one frame.", Buckets: frameBuckets}, cam),
		analyseSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pantau_analyse_seconds",
			Help: "Time one analyzer spent on one frame.", Buckets: frameBuckets}, []string{"camera", "analyzer"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_reconnects_total",
			Help: "Times the camera's stream was restarted after a failure."}, cam),
		decodeMode: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pantau_decode_mode",
			Help: "Current decode mode of the camera: 1 for the mode in use, 0 for the others."}, []string{"camera", "mode"}),
		decodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_decode_errors_total",
			Help: "Corrupt or undecodable access units (counted, not fatal)."}, cam),
		lineCrossings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_line_crossings_total",
			Help: "Objects that crossed a counting line."}, []string{"camera", "rule", "direction", "class"}),
		zoneOccupancy: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pantau_zone_occupancy",
			Help: "Objects currently in a zone."}, []string{"camera", "zone", "class"}),
		lastFrameAge: prometheus.NewDesc("pantau_last_frame_age_seconds",
			"Seconds since the camera's last picture was decoded (or since the camera was added, before its first picture).",
			cam, nil),
		configOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_config_last_reload_successful",
			Help: "Whether the last config load or reload was valid and applied (1) or refused (0)."}),
		configTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last config load or reload that was applied."}),
	}
	m.mqtt = newMQTTMetrics()
	m.detector = newDetectorMetrics()
	m.view = newViewMetrics()
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pantau_build_info",
		Help: "Build of the running agent; always 1."}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)

	cs := []prometheus.Collector{build, m.streamUp, m.framesReceived, m.framesDecoded, m.framesAnalysed,
		m.framesDropped, m.decodeSeconds, m.analyseSeconds, m.reconnects, m.decodeMode, m.decodeErrors,
		m.lineCrossings, m.zoneOccupancy, ageCollector{m}, m.configOK, m.configTime}
	cs = append(cs, m.mqtt.collectors()...)
	cs = append(cs, m.detector.collectors()...)
	cs = append(cs, m.view.collectors()...)
	if !o.noRuntime {
		cs = append(cs, collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// MQTT returns the publisher's metrics.
func (m *Metrics) MQTT() *MQTTMetrics { return m.mqtt }

// Detector returns the shared detector pool's metrics.
func (m *Metrics) Detector() *DetectorMetrics { return m.detector }

// ConfigLoaded records a config load or reload: ok when it was valid and
// applied, false when it was refused (the previous one stays in force).
func (m *Metrics) ConfigLoaded(ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.config.lastOK = ok
	if ok {
		m.config.loaded = true
		m.config.lastTime = m.now()
		m.configTime.Set(float64(m.config.lastTime.UnixNano()) / 1e9)
		m.configOK.Set(1)
	} else {
		m.configOK.Set(0)
	}
}

// ageCollector computes pantau_last_frame_age_seconds at scrape time.
type ageCollector struct{ m *Metrics }

// Describe sends the one descriptor.
func (a ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- a.m.lastFrameAge }

// Collect sends one age per camera, computed now.
func (a ageCollector) Collect(ch chan<- prometheus.Metric) {
	now := a.m.now()
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	for name, c := range a.m.cameras {
		age := now.Sub(time.Unix(0, c.lastFrame.Load())).Seconds()
		if age < 0 {
			age = 0
		}
		ch <- prometheus.MustNewConstMetric(a.m.lastFrameAge, prometheus.GaugeValue, age, name)
	}
}
