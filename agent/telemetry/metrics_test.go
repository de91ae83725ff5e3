package telemetry

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The interfaces other packages declare, copied here so that a change on
// either side breaks this test rather than the build of the agent.
type pipelineMetrics interface {
	FrameReceived()
	FrameDecoded(d time.Duration)
	FrameAnalysed(analyzer string, d time.Duration)
	FrameDropped(reason string)
	DecodeError()
	DecodeMode(mode string)
}

type publisherMetrics interface {
	Connected(up bool)
	Published(kind string)
	PublishFailed(kind string)
	SpoolState(messages int, bytes int64, oldest time.Duration)
	SpoolDropped(reason string, n int)
}

type cameraMetrics interface {
	pipelineMetrics
	StreamUp(up bool)
	Reconnect()
	LineCrossing(rule, direction, class string)
	ZoneOccupancy(zone, class string, n int)
}

var (
	_ cameraMetrics    = (*CameraMetrics)(nil)
	_ publisherMetrics = (*MQTTMetrics)(nil)
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *fakeClock               { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }
func newMetrics(t *testing.T, opts ...Option) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg, "v1.2.3-test", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestCameraMetrics(t *testing.T) {
	clk := newClock()
	m, reg := newMetrics(t, WithClock(clk.now), WithoutRuntimeCollectors())
	c := m.Camera("cam1")
	if m.Camera("cam1") != c {
		t.Fatal("Camera returned a new object for the same name")
	}
	c.StreamUp(true)
	for i := 0; i < 5; i++ {
		c.FrameReceived()
		c.FrameDecoded(3 * time.Millisecond)
	}
	for i := 0; i < 2; i++ {
		c.FrameAnalysed("motion", 4*time.Millisecond)
		c.FrameAnalysed("track", time.Millisecond)
	}
	c.FrameDropped("queue_full")
	c.FrameDropped("queue_full")
	c.FrameDropped("fps_limit")
	c.DecodeError()
	c.Reconnect()
	c.DecodeMode("full")
	c.DecodeMode("keyframes")
	c.LineCrossing("mid", "in", "person")
	c.ZoneOccupancy("plaza", "person", 3)
	clk.add(2500 * time.Millisecond)

	want := `
# HELP pantau_frames_analysed_total Frames that went through the analyzers.
# TYPE pantau_frames_analysed_total counter
pantau_frames_analysed_total{camera="cam1"} 2
# HELP pantau_frames_dropped_total Frames dropped before analysis, by reason.
# TYPE pantau_frames_dropped_total counter
pantau_frames_dropped_total{camera="cam1",reason="analyzer_busy"} 0
pantau_frames_dropped_total{camera="cam1",reason="fps_limit"} 1
pantau_frames_dropped_total{camera="cam1",reason="no_frame"} 0
pantau_frames_dropped_total{camera="cam1",reason="queue_full"} 2
# HELP pantau_frames_received_total Access units (frames) received from the camera.
# TYPE pantau_frames_received_total counter
pantau_frames_received_total{camera="cam1"} 5
# HELP pantau_decode_mode Current decode mode of the camera: 1 for the mode in use, 0 for the others.
# TYPE pantau_decode_mode gauge
pantau_decode_mode{camera="cam1",mode="full"} 0
pantau_decode_mode{camera="cam1",mode="keyframes"} 1
# HELP pantau_last_frame_age_seconds Seconds since the camera's last picture was decoded (or since the camera was added, before its first picture).
# TYPE pantau_last_frame_age_seconds gauge
pantau_last_frame_age_seconds{camera="cam1"} 2.5
# HELP pantau_line_crossings_total Objects that crossed a counting line.
# TYPE pantau_line_crossings_total counter
pantau_line_crossings_total{camera="cam1",class="person",direction="in",rule="mid"} 1
# HELP pantau_zone_occupancy Objects currently in a zone.
# TYPE pantau_zone_occupancy gauge
pantau_zone_occupancy{camera="cam1",class="person",zone="plaza"} 3
# HELP pantau_stream_up Whether the camera's stream is connected and delivering frames (1) or not (0).
# TYPE pantau_stream_up gauge
pantau_stream_up{camera="cam1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"pantau_frames_analysed_total", "pantau_frames_dropped_total", "pantau_frames_received_total",
		"pantau_decode_mode", "pantau_last_frame_age_seconds", "pantau_line_crossings_total",
		"pantau_zone_occupancy", "pantau_stream_up"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.decodeSeconds); n != 1 {
		t.Errorf("decode histogram series = %d, want 1", n)
	}
	if n := testutil.CollectAndCount(m.analyseSeconds); n != 2 {
		t.Errorf("analyse histogram series = %d, want 2 (motion, track)", n)
	}

	// Frames are counted by the first analyzer only, whatever follows.
	c.FrameAnalysed("motion", time.Millisecond)
	c.FrameAnalysed("all", 5*time.Millisecond)
	if got := testutil.ToFloat64(m.framesAnalysed.WithLabelValues("cam1")); got != 3 {
		t.Errorf("frames analysed after a third frame = %g, want 3", got)
	}
}

func TestRemoveCamera(t *testing.T) {
	m, reg := newMetrics(t, WithoutRuntimeCollectors())
	a, b := m.Camera("a"), m.Camera("b")
	for _, c := range []*CameraMetrics{a, b} {
		c.FrameReceived()
		c.FrameDropped("queue_full")
		c.FrameAnalysed("motion", time.Millisecond)
		c.LineCrossing("l", "out", "car")
	}
	m.Remove("b")
	b.FrameReceived() // a stale handle must not bring the series back
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == "camera" {
					if lp.GetValue() == "b" {
						t.Errorf("%s still has camera=\"b\" after Remove", mf.GetName())
					}
					seen++
				}
			}
		}
	}
	if seen < 10 {
		t.Errorf("only %d series for camera a", seen)
	}
	if _, ok := m.Cameras()["b"]; ok {
		t.Error("Cameras() still lists b")
	}
}

func TestMQTTMetrics(t *testing.T) {
	m, reg := newMetrics(t, WithoutRuntimeCollectors())
	q := m.MQTT()
	q.Connected(true)
	q.Published("event")
	q.Published("event")
	q.PublishFailed("counts")
	q.SpoolState(12, 3400, 90*time.Second)
	q.SpoolDropped("full", 5)
	q.SpoolDropped("disk_full", 2)
	q.SpoolDisk("spool disk not taking writes: no space left on device")
	want := `
# HELP pantau_mqtt_connected Whether the agent is connected to the MQTT broker (1) or not (0).
# TYPE pantau_mqtt_connected gauge
pantau_mqtt_connected 1
# HELP pantau_mqtt_published_total Messages acknowledged by the broker, by kind (event, counts, status, occupancy, command).
# TYPE pantau_mqtt_published_total counter
pantau_mqtt_published_total{kind="command_result"} 0
pantau_mqtt_published_total{kind="counts"} 0
pantau_mqtt_published_total{kind="event"} 2
pantau_mqtt_published_total{kind="occupancy"} 0
pantau_mqtt_published_total{kind="status"} 0
# HELP pantau_spool_bytes Bytes used by the on-disk spool.
# TYPE pantau_spool_bytes gauge
pantau_spool_bytes 3400
# HELP pantau_spool_oldest_age_seconds Age of the oldest message in the spool (0 when empty).
# TYPE pantau_spool_oldest_age_seconds gauge
pantau_spool_oldest_age_seconds 90
# HELP pantau_spool_dropped_total Messages dropped from the spool, by reason (full, full_counts, age, corrupt, too_big, disk_full, disk_error).
# TYPE pantau_spool_dropped_total counter
pantau_spool_dropped_total{reason="age"} 0
pantau_spool_dropped_total{reason="corrupt"} 0
pantau_spool_dropped_total{reason="disk_error"} 0
pantau_spool_dropped_total{reason="disk_full"} 2
pantau_spool_dropped_total{reason="full"} 5
pantau_spool_dropped_total{reason="full_counts"} 0
pantau_spool_dropped_total{reason="too_big"} 0
# HELP pantau_spool_disk_ok Whether the spool's disk takes writes (1) or not (0: full, read-only, failing).
# TYPE pantau_spool_disk_ok gauge
pantau_spool_disk_ok 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pantau_mqtt_connected",
		"pantau_mqtt_published_total", "pantau_spool_bytes", "pantau_spool_oldest_age_seconds",
		"pantau_spool_dropped_total", "pantau_spool_disk_ok"); err != nil {
		t.Error(err)
	}
}

func TestRegisterTwiceFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg, "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg, "v"); err == nil {
		t.Error("second New on the same registry succeeded")
	}
}

// TestPerFrameAllocs measures that the per-frame methods allocate nothing
// once a label value has been seen (the decode loop must not allocate).
func TestPerFrameAllocs(t *testing.T) {
	m, _ := newMetrics(t, WithoutRuntimeCollectors())
	c := m.Camera("cam1")
	c.FrameAnalysed("motion", time.Millisecond)
	c.FrameDropped("queue_full")
	allocs := testing.AllocsPerRun(200, func() {
		c.FrameReceived()
		c.FrameDecoded(time.Millisecond)
		c.FrameAnalysed("motion", time.Millisecond)
		c.FrameDropped("queue_full")
		c.DecodeMode("full")
	})
	if allocs != 0 {
		t.Errorf("per-frame metrics allocate %.1f times per frame, want 0", allocs)
	}
}

func BenchmarkFrame(b *testing.B) {
	reg := prometheus.NewRegistry()
	m, err := New(reg, "v", WithoutRuntimeCollectors())
	if err != nil {
		b.Fatal(err)
	}
	c := m.Camera("cam1")
	b.ReportAllocs()
	for b.Loop() {
		c.FrameReceived()
		c.FrameDecoded(time.Millisecond)
		c.FrameAnalysed("motion", time.Millisecond)
	}
}

// TestConcurrentUse updates, scrapes, removes and re-adds cameras from
// several goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	m, reg := newMetrics(t, WithoutRuntimeCollectors())
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			name := []string{"a", "b"}[g%2]
			for i := 0; i < 500; i++ {
				c := m.Camera(name)
				c.FrameReceived()
				c.FrameAnalysed("motion", time.Millisecond)
				c.FrameDropped("queue_full")
				c.DecodeMode([]string{"full", "keyframes"}[i%2])
				c.StreamUp(i%2 == 0)
				m.MQTT().SpoolState(i, int64(i), time.Second)
				if i%100 == 99 {
					m.Remove(name)
				}
			}
		}(g)
	}
	for i := 0; i < 20; i++ {
		if _, err := reg.Gather(); err != nil {
			t.Error(err)
		}
		m.Ready(ReadyOptions{})()
	}
	wg.Wait()
}
