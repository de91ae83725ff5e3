package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DetectorMetrics records the agent's shared detector pool
// (agent/detpool). It satisfies the pool's Metrics interface. Safe for
// concurrent use.
type DetectorMetrics struct {
	queue      prometheus.Gauge
	inference  prometheus.Histogram
	detections *prometheus.CounterVec
	skipped    *prometheus.CounterVec
	rateScale  prometheus.Gauge
	workers    prometheus.Gauge
}

// Buckets for one inference: 5 ms … 2.5 s (≈ 24 ms is a 300×300 SSD on a
// small x86 core; an ARM box is several times slower).
var inferenceBuckets = []float64{0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5}

func newDetectorMetrics() *DetectorMetrics {
	return &DetectorMetrics{
		queue: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_detector_queue_length",
			Help: "Detection jobs waiting for a worker of the shared detector pool (at most one per camera)."}),
		inference: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pantau_detector_inference_seconds",
			Help: "Time one model inference took (one crop or one full frame).", Buckets: inferenceBuckets}),
		detections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_detector_detections_total",
			Help: "Objects the detector pool found, by class."}, []string{"class"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_detector_frames_skipped_total",
			Help: "Frames with motion that were not sent to the detector, or whose job was dropped, by camera and reason (rate, budget, replaced, bad_output, error)."},
			[]string{"camera", "reason"}),
		rateScale: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_detector_rate_scale",
			Help: "Share (0-1] of each camera's detector.max_rate the pool allows now; below 1 when the detector is slower than its budget."}),
		workers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantau_detector_workers",
			Help: "Workers of the shared detector pool (detector.workers)."}),
	}
}

func (d *DetectorMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.queue, d.inference, d.detections, d.skipped, d.rateScale, d.workers}
}

// QueueLength sets the number of jobs waiting.
func (d *DetectorMetrics) QueueLength(n int) { d.queue.Set(float64(n)) }

// Inference records one inference's duration.
func (d *DetectorMetrics) Inference(t time.Duration) { d.inference.Observe(t.Seconds()) }

// Detected counts n detections of class.
func (d *DetectorMetrics) Detected(class string, n int) {
	d.detections.WithLabelValues(class).Add(float64(n))
}

// Skipped counts one frame of camera skipped for reason.
func (d *DetectorMetrics) Skipped(camera, reason string) {
	d.skipped.WithLabelValues(camera, reason).Inc()
}

// RateScale sets the share of the configured rates the pool allows.
func (d *DetectorMetrics) RateScale(f float64) { d.rateScale.Set(f) }

// Workers sets the pool's size.
func (d *DetectorMetrics) Workers(n int) { d.workers.Set(float64(n)) }

// RateScaleGauge is the rate scale gauge, for tests that read it back.
func (d *DetectorMetrics) RateScaleGauge() prometheus.Gauge { return d.rateScale }

// SkippedCounter is the skip counter of one camera and reason, for tests
// that read it back.
func (d *DetectorMetrics) SkippedCounter(camera, reason string) prometheus.Counter {
	return d.skipped.WithLabelValues(camera, reason)
}
