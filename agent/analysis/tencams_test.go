package analysis

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/detpool"
	"github.com/pantau/pantau/agent/telemetry"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// Ten cameras of people walking (vtest, each from another point of the
// clip) share the default pool (one worker, the real model) on this
// 2-core machine, paced at 5 fps in real time. Every camera keeps its
// analysis rate, because Analyze never waits for the detector, and every
// camera gets detector passes. Once the detector cannot serve 10 ×
// max_rate the pool lowers the rate and the metrics say so (rate scale
// below 1, frames skipped for "budget"). On XNNPACK (the default engine)
// one worker may serve all ten on a quiet machine, so there the test only
// requires that a lowered rate is counted; on OpenCV's engine (about three
// times the CPU per inference) it cannot, and the lowering is required.
// The short version runs 12 s per engine; with PANTAU_LONG_TESTS=1 30 s,
// and its logged figures are the ones in docs/performance.md. The pool's
// scheduling alone (fairness, replaced jobs) is tested in agent/detpool
// with a model whose timing the test controls.
func TestTenCamerasShareThePool(t *testing.T) {
	dur := 12 * time.Second
	if os.Getenv("PANTAU_LONG_TESTS") != "" {
		dur = 30 * time.Second
	}
	for _, engine := range []string{"xnnpack", "opencv"} {
		t.Run(engine, func(t *testing.T) { tenCameras(t, engine, dur, engine == "opencv") })
	}
}

// tenCameras runs the ten cameras for dur on one worker of the given
// engine; mustLower requires the pool to lower the rate.
func tenCameras(t *testing.T, engine string, dur time.Duration, mustLower bool) {
	cfg, err := config.Parse([]byte("site: s\ncameras:\n  - {name: c, url: \"rtsp://h/c\", lines: [{name: mid, points: [[0.5, 0.2], [0.5, 0.9]]}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := telemetry.New(reg, "test", telemetry.WithoutRuntimeCollectors())
	if err != nil {
		t.Fatal(err)
	}
	model := cfg.Detector.Model
	p, err := detpool.New(detpool.Config{Workers: 1, Metrics: m.Detector(),
		New: func() (detpool.Inferer, error) { return NewPoolModel(model, engine) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	poolDone := make(chan error, 1)
	go func() { poolDone <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-poolDone
		p.Close()
	}()
	frames := vtestFrames(t, false)
	defer func() {
		for _, f := range frames {
			f.Close()
		}
	}()

	const ncam = 10
	type camStats struct {
		ticks, analysed, passes int
		worst, first            time.Duration   // first: the first frame (the chain's start-up)
		times, det              []time.Duration // whole chain, detector stage
	}
	stats := make([]camStats, ncam)
	var wg sync.WaitGroup
	for i := range ncam {
		cam := cfg.Cameras[0]
		cam.Name = fmt.Sprintf("cam%d", i)
		as, err := Build(cam, Options{Pool: p})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer Close(as)
			f := frame.New(nil, nil)
			defer f.Close()
			var r vision.Result
			st := &stats[i]
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			end := time.Now().Add(dur)
			for k := 0; time.Now().Before(end); k++ {
				<-tick.C
				st.ticks++
				frames[(i*37+k)%len(frames)].CopyTo(&f.Gray)
				f.Time = time.Now()
				r.Reset(f.Time)
				t0 := time.Now()
				for _, a := range as {
					ta := time.Now()
					if err := a.Analyze(f, &r); err != nil {
						t.Error(err)
						return
					}
					if _, ok := a.(*detpool.Client); ok {
						st.det = append(st.det, time.Since(ta))
					}
				}
				d := time.Since(t0)
				st.times = append(st.times, d)
				if st.analysed == 0 {
					st.first = d
				} else {
					st.worst = max(st.worst, d)
				}
				st.analysed++
				if !r.Coast {
					st.passes++
				}
			}
		}()
	}
	wg.Wait()
	scale := testutil.ToFloat64(m.Detector().RateScaleGauge())
	budget := 0.0
	for i := range ncam {
		budget += testutil.ToFloat64(m.Detector().SkippedCounter(fmt.Sprintf("cam%d", i), detpool.SkipBudget))
	}
	long := os.Getenv("PANTAU_LONG_TESTS") != ""
	for i, st := range stats {
		slices.Sort(st.times)
		slices.Sort(st.det)
		p95, det95 := st.times[len(st.times)*95/100], st.det[len(st.det)*95/100]
		// Frames due once the chain has started: the first frame builds
		// the background model and OpenCV's buffers (about 2 s for ten
		// cameras at once on the shared machine), during which the
		// ticker drops ticks; the claim is about keeping the rate after.
		due := int((dur - st.first) / (200 * time.Millisecond))
		t.Logf("cam%d: %d of %d frames analysed (first frame %v), %d detector passes joined, analysis p95 %v worst after the first %v, detector stage p95 %v", i, st.analysed, due, st.first.Round(time.Millisecond), st.passes, p95.Round(time.Millisecond), st.worst.Round(time.Millisecond), det95.Round(time.Millisecond))
		if st.passes == 0 {
			t.Errorf("cam%d got no detector pass in %v: the pool is not fair", i, dur)
		}
		// The detector stage only copies crops and queues them: it never
		// waits for the worker, whatever the queue (asserted exactly in
		// detpool's TestPoolMoreCamerasThanWorkers, whose model blocks
		// until the test lets it go; here, in time, on the long run).
		if long && det95 > 50*time.Millisecond {
			t.Errorf("cam%d: detector stage p95 %v: it waits for the pool", i, det95)
		}
		// 5 fps kept: every frame analysed within its 200 ms. Asserted
		// in the long run, which needs the 2 cores mostly to itself;
		// the short one, on a machine shared with builds and tests, only
		// requires that most frames were analysed (the figures are
		// logged).
		if long && (st.analysed < due*95/100 || p95 > 200*time.Millisecond) {
			t.Errorf("cam%d: %d of %d frames analysed, p95 %v: the camera did not keep its 5 fps", i, st.analysed, due, p95)
		}
		if !long && st.analysed < due/2 {
			t.Errorf("cam%d: %d of %d frames analysed", i, st.analysed, due)
		}
	}
	t.Logf("%s: rate scale %.2f, %v frames skipped for budget", engine, scale, budget)
	if mustLower && (scale >= 1 || budget == 0) {
		t.Errorf("rate scale %.2f, %v budget skips: 10 cameras over one %s worker must lower the rate, counted", scale, budget, engine)
	}
	if scale < 1 && budget == 0 {
		t.Errorf("rate scale %.2f but no budget skip counted: a lowered rate must show in the metrics", scale)
	}
}
