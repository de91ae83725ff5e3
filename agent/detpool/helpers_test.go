package detpool

import (
	"fmt"
	"image"
	"os"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/motion"
)

// TestMain fails the package when Mats leaked (with -tags matprofile).
func TestMain(m *testing.M) {
	code := m.Run()
	if n := liveMats(); code == 0 && n > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d gocv Mats leaked by the detpool tests\n", n)
		code = 1
	}
	os.Exit(code)
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// grayFrame is a w×h mid-gray frame at time t.
func grayFrame(w, h int, t time.Time) *frame.Frame {
	f := frame.New(nil, nil)
	f.Gray.Close()
	f.Gray = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 0, 0, 0), h, w, gocv.MatTypeCV8UC1)
	f.Time = t
	return f
}

// fixedBlobs stands in for the motion analyzer: the pool's tests are about
// scheduling, so the motion is given rather than computed (the real
// motion detector feeds the pool in the agent and eval tests).
type fixedBlobs struct{ blobs []motion.Blob }

func (b fixedBlobs) Blobs(time.Time) ([]motion.Blob, bool) { return b.blobs, true }

func blob(px image.Rectangle, w, h int) motion.Blob {
	return motion.Blob{Px: px, Box: vision.Rect{
		X: float64(px.Min.X) / float64(w), Y: float64(px.Min.Y) / float64(h),
		W: float64(px.Dx()) / float64(w), H: float64(px.Dy()) / float64(h)}}
}

// recMetrics records what the pool reports.
type recMetrics struct {
	mu      sync.Mutex
	skipped map[string]int // "camera/reason"
	classes map[string]int
	scale   float64 // the last rate scale reported
	least   float64 // the lowest
	infers  int
	maxQ    int
}

func newRec() *recMetrics {
	return &recMetrics{skipped: map[string]int{}, classes: map[string]int{}, scale: 1, least: 1}
}

func (m *recMetrics) QueueLength(n int) { m.mu.Lock(); m.maxQ = max(m.maxQ, n); m.mu.Unlock() }
func (m *recMetrics) Inference(time.Duration) {
	m.mu.Lock()
	m.infers++
	m.mu.Unlock()
}
func (m *recMetrics) Detected(c string, n int) { m.mu.Lock(); m.classes[c] += n; m.mu.Unlock() }
func (m *recMetrics) Skipped(cam, reason string) {
	m.mu.Lock()
	m.skipped[cam+"/"+reason]++
	m.mu.Unlock()
}
func (m *recMetrics) RateScale(f float64) {
	m.mu.Lock()
	m.scale, m.least = f, min(m.least, f)
	m.mu.Unlock()
}
func (m *recMetrics) Workers(int) {}

func (m *recMetrics) get(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.skipped[key]
}

// gated is a model stand-in whose speed the test controls: it records
// which camera each picture came from (by its width) and waits for the
// test's go-ahead, or sleeps a fixed time. The real model is used in
// TestRealModelOnVtest; scheduling cannot be tested with its timing.
type gated struct {
	mu     sync.Mutex
	order  []int
	gate   chan struct{}
	delay  time.Duration
	person bool
}

func (g *gated) Infer(img gocv.Mat) ([]vision.Detection, error) {
	g.mu.Lock()
	g.order = append(g.order, img.Cols())
	g.mu.Unlock()
	if img.Channels() != 3 {
		return nil, fmt.Errorf("want 3 channels, got %d", img.Channels())
	}
	if g.gate != nil {
		<-g.gate
	}
	time.Sleep(g.delay)
	if g.person {
		return []vision.Detection{{Class: "person", Score: 0.9, Box: vision.Rect{X: 10, Y: 20, W: 30, H: 60}}}, nil
	}
	return nil, nil
}

func (g *gated) Close() error { return nil }

func (g *gated) served() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.order...)
}
