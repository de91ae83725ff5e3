package telemetry

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Label values created at 0 for every camera, so that rate() and
// dashboards see a series before the first event: the decode modes and the
// pipeline's drop reasons.
var (
	knownModes       = []string{"full", "keyframes"}
	knownDropReasons = []string{"queue_full", "analyzer_busy", "no_frame"}
)

// CameraMetrics records one camera. It satisfies the pipeline's Metrics
// interface (FrameReceived, FrameDecoded, FrameAnalysed, FrameDropped,
// DecodeError, DecodeMode) and adds the camera-level methods. Safe for
// concurrent use; the per-frame methods do not allocate once a label value
// (analyzer, reason) has been seen.
type CameraMetrics struct {
	m    *Metrics
	name string

	upGauge                                                 prometheus.Gauge
	receivedC, decodedC, analysedC, reconnectsC, decodeErrC prometheus.Counter
	decodeSec                                               prometheus.Observer
	lastFrame                                               atomic.Int64 // unix ns
	online                                                  atomic.Bool

	mu        sync.Mutex
	mode      string
	countBy   string // the analyzer whose calls count analysed frames
	analyzers map[string]prometheus.Observer
	drops     map[string]prometheus.Counter
}

// Camera returns the metrics of the named camera, creating its series on
// first use. Calling it again with the same name returns the same object,
// so a camera kept across a reload keeps counting.
func (m *Metrics) Camera(name string) *CameraMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.cameras[name]; ok {
		return c
	}
	c := &CameraMetrics{
		m:           m,
		name:        name,
		upGauge:     m.streamUp.WithLabelValues(name),
		receivedC:   m.framesReceived.WithLabelValues(name),
		decodedC:    m.framesDecoded.WithLabelValues(name),
		analysedC:   m.framesAnalysed.WithLabelValues(name),
		reconnectsC: m.reconnects.WithLabelValues(name),
		decodeErrC:  m.decodeErrors.WithLabelValues(name),
		decodeSec:   m.decodeSeconds.WithLabelValues(name),
		analyzers:   map[string]prometheus.Observer{},
		drops:       map[string]prometheus.Counter{},
	}
	for _, mode := range knownModes {
		m.decodeMode.WithLabelValues(name, mode).Set(0)
	}
	for _, r := range knownDropReasons {
		c.drops[r] = m.framesDropped.WithLabelValues(name, r)
	}
	m.view.init(name)
	c.lastFrame.Store(m.now().UnixNano())
	m.cameras[name] = c
	return c
}

// Remove deletes every series of the named camera (after it was removed
// from the config). A CameraMetrics still held for it keeps working but is
// no longer exported.
func (m *Metrics) Remove(camera string) {
	m.mu.Lock()
	delete(m.cameras, camera)
	m.mu.Unlock()
	l := prometheus.Labels{"camera": camera}
	m.streamUp.DeletePartialMatch(l)
	m.framesReceived.DeletePartialMatch(l)
	m.framesDecoded.DeletePartialMatch(l)
	m.framesAnalysed.DeletePartialMatch(l)
	m.framesDropped.DeletePartialMatch(l)
	m.decodeSeconds.DeletePartialMatch(l)
	m.analyseSeconds.DeletePartialMatch(l)
	m.reconnects.DeletePartialMatch(l)
	m.decodeMode.DeletePartialMatch(l)
	m.decodeErrors.DeletePartialMatch(l)
	m.lineCrossings.DeletePartialMatch(l)
	m.zoneOccupancy.DeletePartialMatch(l)
	m.view.remove(l)
}

// Cameras returns the names of the cameras with metrics and whether each
// stream is up.
func (m *Metrics) Cameras() map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]bool, len(m.cameras))
	for n, c := range m.cameras {
		out[n] = c.online.Load()
	}
	return out
}

// Name returns the camera name.
func (c *CameraMetrics) Name() string { return c.name }

// FrameReceived counts an access unit from the camera. It does not reset
// the last frame age: access units that never become pictures (no
// keyframe, decode errors) are no frames.
func (c *CameraMetrics) FrameReceived() {
	c.receivedC.Inc()
}

// FrameDecoded counts a decoded frame that took d to decode and resets
// the last frame age.
func (c *CameraMetrics) FrameDecoded(d time.Duration) {
	c.decodedC.Inc()
	c.lastFrame.Store(c.m.now().UnixNano())
	c.decodeSec.Observe(d.Seconds())
}

// FrameAnalysed records that analyzer spent d on a frame (analyzer ""
// means "all"). Call it once per analyzer per analysed frame, in the same
// order every frame; a call for the whole frame ("all") may come first or
// last. pantau_frames_analysed_total counts the calls of the first analyzer
// name the camera reported, so that name must be one that runs on every
// analysed frame.
func (c *CameraMetrics) FrameAnalysed(analyzer string, d time.Duration) {
	if analyzer == "" {
		analyzer = "all"
	}
	c.mu.Lock()
	o, ok := c.analyzers[analyzer]
	if !ok {
		o = c.m.analyseSeconds.WithLabelValues(c.name, analyzer)
		c.analyzers[analyzer] = o
	}
	if c.countBy == "" {
		c.countBy = analyzer
	}
	count := analyzer == c.countBy
	c.mu.Unlock()
	if count {
		c.analysedC.Inc()
	}
	o.Observe(d.Seconds())
}

// FrameDropped counts a frame dropped for reason (a fixed word such as
// "queue_full", "fps_limit", "decode_mode").
func (c *CameraMetrics) FrameDropped(reason string) {
	c.mu.Lock()
	ctr, ok := c.drops[reason]
	if !ok {
		ctr = c.m.framesDropped.WithLabelValues(c.name, reason)
		c.drops[reason] = ctr
	}
	c.mu.Unlock()
	ctr.Inc()
}

// DecodeError counts a corrupt or undecodable access unit.
func (c *CameraMetrics) DecodeError() { c.decodeErrC.Inc() }

// DecodeMode sets the current decode mode (full or keyframes): its series
// goes to 1 and the previous mode's to 0.
func (c *CameraMetrics) DecodeMode(mode string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if mode == c.mode {
		return
	}
	if c.mode != "" {
		c.m.decodeMode.WithLabelValues(c.name, c.mode).Set(0)
	}
	c.mode = mode
	c.m.decodeMode.WithLabelValues(c.name, mode).Set(1)
}

// StreamUp records whether the stream is connected and delivering.
func (c *CameraMetrics) StreamUp(up bool) {
	c.online.Store(up)
	if up {
		c.upGauge.Set(1)
	} else {
		c.upGauge.Set(0)
	}
}

// Reconnect counts a restart of the stream after a failure.
func (c *CameraMetrics) Reconnect() { c.reconnectsC.Inc() }

// LineCrossing counts an object of class crossing line rule in direction
// ("in" or "out").
func (c *CameraMetrics) LineCrossing(rule, direction, class string) {
	c.m.lineCrossings.WithLabelValues(c.name, rule, direction, class).Inc()
}

// ZoneOccupancy sets how many objects of class are in zone.
func (c *CameraMetrics) ZoneOccupancy(zone, class string, n int) {
	c.m.zoneOccupancy.WithLabelValues(c.name, zone, class).Set(float64(n))
}
