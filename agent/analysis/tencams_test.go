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
// analysis rate, because Analyze never waits for the detector; the
// detector cannot serve 10 × max_rate, so the pool lowers the rate, and the
// metrics say so (rate scale below 1, frames skipped for "budget"); every
// camera still gets detector passes. It runs in real time for 30 s and
// needs the 2 cores mostly to itself, so it runs with PANTAU_LONG_TESTS=1;
// the short versions, always on, are detpool's
// TestPoolMoreCamerasThanWorkers (never blocks, fair, replaced counted) and
// TestSlowDetectorLowersRate (budget lowers the rate, counted). The
// figures for docs/performance.md are logged.
func TestTenCamerasShareThePool(t *testing.T) {
	if os.Getenv("PANTAU_LONG_TESTS") == "" {
		t.Skip("30 s real-time campaign: PANTAU_LONG_TESTS=1 (short versions: agent/detpool TestPoolMoreCamerasThanWorkers, TestSlowDetectorLowersRate)")
	}
	dur := 30 * time.Second
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
		New: func() (detpool.Inferer, error) { return NewPoolModel(model) }})
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
		worst                   time.Duration
		times                   []time.Duration
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
					if err := a.Analyze(f, &r); err != nil {
						t.Error(err)
						return
					}
				}
				d := time.Since(t0)
				st.times = append(st.times, d)
				st.worst = max(st.worst, d)
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
	for i, st := range stats {
		slices.Sort(st.times)
		p95 := st.times[len(st.times)*95/100]
		t.Logf("cam%d: %d ticks, %d analysed, %d detector passes joined, analysis p95 %v worst %v", i, st.ticks, st.analysed, st.passes, p95.Round(time.Millisecond), st.worst.Round(time.Millisecond))
		if st.passes == 0 {
			t.Errorf("cam%d got no detector pass in %v: the pool is not fair", i, dur)
		}
	}
	t.Logf("rate scale %.2f, %v frames skipped for budget", scale, budget)
	if scale >= 1 || budget == 0 {
		t.Errorf("rate scale %.2f, %v budget skips: 10 cameras over one worker must lower the rate, counted", scale, budget)
	}
}
