package pipeline

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/clip"
)

// start runs p in the background; the returned stop cancels it and checks
// that Run returned nil.
func start(t *testing.T, p *Pipeline) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestRunLive(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, clipPath(t, "vtest_h264.mp4"))
	rec := &recorder{}
	var lateResults atomic.Int64
	var modes []string
	m := &countMetrics{modes: &modes}
	var timings []Timing // appended on the analyzer goroutine, read after Run
	p, err := New(Config{Timing: func(t Timing) { timings = append(timings, t) }}, []Analyzer{rec}, func(r *vision.Result) {
		if time.Since(r.Time) > time.Minute {
			lateResults.Add(1)
		}
	}, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, p)
	pushAll(p, aus[:100], 0)
	// The camera restarts: timestamps go back to 0; analysis resumes at once.
	pushAll(p, aus[:50], 0)
	waitIdle(t, p)
	stop()
	if err := p.Run(context.Background()); err == nil {
		t.Error("second Run did not fail")
	}
	st := p.Stats()
	// 100 AUs at 10 fps analysed at 5 fps: 50; then 50 more: 25. The
	// units are pushed as fast as the queue takes them, so on a busy
	// machine the latest-wins hand-off may drop a frame the analyzer was
	// not yet ready for: that is counted as analyzer_busy and must account
	// for the difference (a few at most), never lost silently.
	busy := st.Dropped[DropAnalyzerBusy]
	if st.Analysed+busy != 75 || busy > 3 || rec.count() != int(st.Analysed) || st.Decoded != 150 || st.Received != 150 || st.DroppedTotal() != busy {
		t.Errorf("stats %+v, recorder saw %d", st, rec.count())
	}
	// The restart: the first analysed frame whose pts goes back is one of
	// the first frames of the second pass (pts 0, or 0.2 s if the hand-off
	// dropped the first).
	rec.mu.Lock()
	back := -1
	for i := 1; i < len(rec.pts); i++ {
		if rec.pts[i] < rec.pts[i-1] {
			back = i
			break
		}
	}
	if back < 0 || rec.pts[back] > 200*time.Millisecond {
		t.Errorf("no analysed frame goes back to the restart's start (pts %v)", rec.pts)
	}
	rec.mu.Unlock()
	if st.LatencyP95 <= 0 || st.LatencyP95 > time.Minute || lateResults.Load() != 0 || st.LastFrame.IsZero() {
		t.Errorf("latency p50 %v p95 %v, last frame %v", st.LatencyP50, st.LatencyP95, st.LastFrame)
	}
	if m.received.Load() != 150 || m.decoded.Load() != 150 || uint64(m.analysed.Load()) != st.Analysed || len(modes) == 0 || modes[0] != ModeFull {
		t.Errorf("metrics: received %d decoded %d analysed %d modes %v", m.received.Load(), m.decoded.Load(), m.analysed.Load(), modes)
	}
	// Config.Timing: once per analysed frame, its stages in order.
	if uint64(len(timings)) != st.Analysed {
		t.Errorf("%d timings for %d analysed frames", len(timings), st.Analysed)
	}
	for i, tm := range timings {
		if tm.Arrived.IsZero() || tm.DecodeStart.Before(tm.Arrived) || tm.Decoded.Before(tm.DecodeStart) ||
			tm.AnalysisStart.Before(tm.Decoded) || tm.Done.Before(tm.AnalysisStart) {
			t.Errorf("timing %d out of order: %+v", i, tm)
			break
		}
	}
}

// TestCodecFromUnits: a pipeline configured for H.264 (the default) gets
// an H.265 camera, which is then reconfigured to H.264: the decoder
// follows AccessUnit.Codec.
func TestCodecFromUnits(t *testing.T) {
	checkMats(t)
	h265, _ := loadClip(t, clipPath(t, "vtest_h265.mp4"))
	h264, _ := loadClip(t, clipPath(t, "vtest_h264.mp4"))
	rec := &recorder{}
	p, err := New(Config{FPS: 1000}, []Analyzer{rec}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, p)
	for _, part := range []struct {
		codec string
		aus   []clip.AccessUnit
	}{{"h265", h265[:40]}, {"h264", h264[:40]}} {
		for _, au := range part.aus {
			for len(p.queue) > 8 {
				time.Sleep(time.Millisecond)
			}
			p.Push(AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess, Received: time.Now(), Codec: part.codec})
		}
	}
	waitIdle(t, p)
	stop()
	if st := p.Stats(); st.Decoded != 80 || st.DecodeErrors != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestPushNeverBlocks: with nothing decoding, Push drops once the queue is
// full, and keeps dropping until a random-access unit.
func TestPushNeverBlocks(t *testing.T) {
	aus, _ := loadClip(t, clipPath(t, "vtest_h264.mp4"))
	p, err := New(Config{Queue: 10}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, au := range aus[:100] {
		p.Push(AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess})
	}
	if st := p.Stats(); st.Dropped[DropQueueFull] != 90 || st.Received != 100 {
		t.Fatalf("stats %+v", st)
	}
	// Drain the queue: the next unit is still dropped (not random access),
	// the next random-access unit is queued.
	for len(p.queue) > 0 {
		<-p.queue
	}
	p.Push(AccessUnit{NALUs: aus[1].NALUs, PTS: aus[1].PTS})
	p.Push(AccessUnit{NALUs: aus[25].NALUs, PTS: aus[25].PTS, RandomAccess: true})
	p.Push(AccessUnit{NALUs: aus[26].NALUs, PTS: aus[26].PTS})
	if st := p.Stats(); st.Dropped[DropQueueFull] != 91 || len(p.queue) != 2 {
		t.Fatalf("after drain: stats %+v, queue %d", st, len(p.queue))
	}
}

// TestStale: units that waited longer than MaxDelay are dropped, and in
// full mode so is the rest of their GOP.
func TestStale(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, clipPath(t, "vtest_h264.mp4"))
	rec := &recorder{}
	p, err := New(Config{Decode: ModeFull, FPS: 1000, MaxDelay: time.Second}, []Analyzer{rec}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, p)
	old := time.Now().Add(-5 * time.Second)
	for i, au := range aus[:75] {
		received := time.Now()
		if i >= 20 && i < 30 {
			received = old // late: 20..24, then 25..29 stale though a new GOP starts at 25
		}
		for len(p.queue) > 8 {
			time.Sleep(time.Millisecond)
		}
		p.Push(AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess, Received: received})
	}
	waitIdle(t, p)
	stop()
	// 0..19 decoded; 20..49 dropped (25 is late too, so the whole GOP
	// goes); 50..74 decoded.
	st := p.Stats()
	if st.Dropped[DropStale] != 30 || st.Decoded != 45 || st.DecodeErrors != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestSlowAnalyzer: a slow analyzer gets the latest frame; the others are
// dropped as analyzer_busy, and the frame pool never runs dry.
func TestSlowAnalyzer(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, clipPath(t, "vtest_h264.mp4"))
	rec := &recorder{delay: 30 * time.Millisecond, fail: true}
	p, err := New(Config{FPS: 1000}, []Analyzer{rec}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, p)
	pushAll(p, aus[:200], 0)
	waitIdle(t, p)
	stop()
	st := p.Stats()
	busy := st.Dropped[DropAnalyzerBusy]
	if busy == 0 || st.Analysed+busy != 200 || st.Dropped[DropNoFrame] != 0 || st.AnalyzerErrors != st.Analysed {
		t.Errorf("stats %+v", st)
	}
}

// TestAutoStepsDown: offered far more 1080p frames than one core decodes,
// auto mode steps down to keyframes; given headroom and a sustainable rate
// it steps back up to full.
func TestAutoStepsDown(t *testing.T) {
	checkMats(t)
	aus, _ := loadClip(t, clipPath(t, "cam1080_h264.mp4"))
	var modes []string
	p, err := New(Config{Queue: 8, PressureSeconds: 1, MinHold: time.Second, Headroom: func() bool { return true }},
		nil, nil, &countMetrics{modes: &modes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, p)
	// Flood: 10 units every 5 ms (2000 fps) until the mode changes.
	pts := time.Duration(0)
	next := func(i int) AccessUnit {
		au := aus[i%len(aus)]
		pts += 40 * time.Millisecond
		return AccessUnit{NALUs: au.NALUs, PTS: pts, RandomAccess: au.RandomAccess, Received: time.Now()}
	}
	i := 0
	for deadline := time.Now().Add(20 * time.Second); p.Mode() != ModeKeyframes; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("still %s after 20 s of flooding: %+v", p.Mode(), p.Stats())
		}
		p.Push(next(i))
		if i%10 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	// In keyframes mode only random-access units are queued.
	skipped := p.Stats().Skipped
	for j := 0; j < 49; j++ {
		if au := next(i + j); !au.RandomAccess {
			p.Push(au)
		}
	}
	if n := p.Stats().Skipped - skipped; n < 40 {
		t.Errorf("keyframes mode: %d of 49 other units skipped at Push", n)
	}
	// A 25 fps camera: keyframes mode keeps up; with headroom it goes back.
	for deadline := time.Now().Add(20 * time.Second); p.Mode() != ModeFull; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("still %s after 20 s at 25 fps: %+v", p.Mode(), p.Stats())
		}
		p.Push(next(i))
		time.Sleep(40 * time.Millisecond)
	}
	stop()
	t.Logf("modes %v, stats %+v", modes, p.Stats())
}

// countMetrics is a Metrics that counts; modes records DecodeMode calls
// (from one goroutine).
type countMetrics struct {
	received, decoded, analysed, dropped, errs atomic.Int64
	modes                                      *[]string
}

func (m *countMetrics) FrameReceived()                      { m.received.Add(1) }
func (m *countMetrics) FrameDecoded(time.Duration)          { m.decoded.Add(1) }
func (m *countMetrics) FrameAnalysed(string, time.Duration) { m.analysed.Add(1) }
func (m *countMetrics) FrameDropped(string)                 { m.dropped.Add(1) }
func (m *countMetrics) DecodeError()                        { m.errs.Add(1) }
func (m *countMetrics) DecodeMode(mode string)              { *m.modes = append(*m.modes, mode) }
