package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/agent/retry"
	"github.com/pantau/pantau/devices/rtsp"
	"github.com/pantau/pantau/vision/detect"
)

// stream is one camera: an RTSP client feeding a pipeline with the
// analysis chain of a camera with the motion-blob detector.
type stream struct {
	p      *pipeline.Pipeline
	client *rtsp.Client
}

// benchCamera is the camera every stream analyses as: the agent's defaults
// with `detector: {type: blob}` (motion, blobs, tracker) and one line, so
// the chain does the peer's work (background subtraction, opening,
// regions) and what a counting camera adds to it.
const benchCamera = `site: bench
cameras:
  - name: bench
    url: rtsp://127.0.0.1/bench
    detector: {type: blob}
    lines: [{name: mid, points: [[0.5, 0.1], [0.5, 0.9]]}]
`

// buildChain builds the chain and says which loop filter setting the
// agent would decode this camera with (bc.LoopFilter when set).
func buildChain(bc Config) ([]analysis.Analyzer, string, error) {
	cfg, err := config.Parse([]byte(benchCamera))
	if err != nil {
		return nil, "", fmt.Errorf("bench: camera config: %w", err)
	}
	cam := cfg.Cameras[0]
	if bc.MotionWidth > 0 {
		cam.Motion.Width = bc.MotionWidth
	}
	if bc.LoopFilter != "" {
		cfg.Decode.LoopFilter = bc.LoopFilter
	}
	chain, err := analysis.Build(cam, analysis.Options{})
	return chain, cfg.Decode.LoopFilter, err
}

// latencies collects the analysed frames' timings while measuring. The
// latency is from the arrival of the unit's last RTP packet
// (Frame.Arrived) to the end of the analysis; Frame.Time is not used: it
// is the presentation time mapped to the wall clock once per session, so
// a late or early first unit would shift every figure.
type latencies struct {
	mu  sync.Mutex
	on  bool
	all []pipeline.Timing
}

func (l *latencies) add(t pipeline.Timing) {
	l.mu.Lock()
	if l.on {
		l.all = append(l.all, t)
	}
	l.mu.Unlock()
}

func (l *latencies) set(on bool) {
	l.mu.Lock()
	l.on = on
	l.mu.Unlock()
}

// liveResult is what the pantau measurement found.
type liveResult struct {
	cpu      time.Duration
	wall     time.Duration
	rssBase  int64
	rssTotal int64
	// streams are each pipeline's counters over the window (after −
	// before; Mode is the mode at the end).
	streams    []pipeline.Stats
	timings    []pipeline.Timing
	clientErrs []error
}

// statsDelta is a − b for the counters a window measures.
func statsDelta(a, b pipeline.Stats) pipeline.Stats {
	d := pipeline.Stats{Mode: a.Mode, Decoded: a.Decoded - b.Decoded, Analysed: a.Analysed - b.Analysed,
		DecodeErrors: a.DecodeErrors - b.DecodeErrors, DecodeCPU: a.DecodeCPU - b.DecodeCPU, Dropped: map[string]uint64{}}
	for k, v := range a.Dropped {
		d.Dropped[k] = v - b.Dropped[k]
	}
	return d
}

// add sums another round's window into l.
func (l *liveResult) add(o liveResult) {
	l.cpu += o.cpu
	l.wall += o.wall
	l.rssBase, l.rssTotal = max(l.rssBase, o.rssBase), max(l.rssTotal, o.rssTotal)
	if l.streams == nil {
		l.streams = make([]pipeline.Stats, len(o.streams))
	}
	for i, s := range o.streams {
		t := &l.streams[i]
		t.Mode = s.Mode
		t.Decoded += s.Decoded
		t.Analysed += s.Analysed
		t.DecodeErrors += s.DecodeErrors
		t.DecodeCPU += s.DecodeCPU
		if t.Dropped == nil {
			t.Dropped = map[string]uint64{}
		}
		for k, v := range s.Dropped {
			t.Dropped[k] += v
		}
	}
	l.timings = append(l.timings, o.timings...)
	l.clientErrs = append(l.clientErrs, o.clientErrs...)
}

// runLive runs cfg.Streams pipelines, stream i against urls[i mod
// len(urls)]; it measures CPU, frames and latency over cfg.Duration after
// cfg.Warmup.
func runLive(ctx context.Context, cfg Config, urls []string, profile func(start bool) error) (liveResult, error) {
	var res liveResult
	if n := cfg.OpenCVThreads; n >= 0 {
		if n == 0 {
			n = 1 // as the agent sets it
		}
		// Process-wide: put back for the peer, which uses OpenCV's default.
		defer detect.SetOpenCVThreads(detect.SetOpenCVThreads(n))
	}
	res.rssBase = selfRSS()
	var lat latencies
	streams := make([]*stream, cfg.Streams)
	var gate *pipeline.CPUGate
	if cfg.CPUTokens > 0 {
		gate = pipeline.NewCPUGate(cfg.CPUTokens)
	}
	for i := range streams {
		chain, lf, err := buildChain(cfg)
		if err != nil {
			return res, err
		}
		defer analysis.Close(chain)
		p, err := pipeline.New(pipeline.Config{
			AnalysisWidth: cfg.AnalysisWidth, FPS: cfg.FPS, Decode: cfg.Mode, LoopFilter: lf, CPU: gate,
			ReferenceNice: cfg.ReferenceNice, Timing: lat.add,
		}, analysis.Pipeline(chain), nil, nil, cfg.Log)
		if err != nil {
			return res, err
		}
		client := rtsp.New(rtsp.Config{URL: urls[i%len(urls)]}, func(au rtsp.AccessUnit) {
			p.Push(pipeline.AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess,
				Received: au.Received, Codec: au.Codec})
		})
		streams[i] = &stream{p: p, client: client}
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make([]error, 2*len(streams))
	for i, s := range streams {
		wg.Add(2)
		go func() { defer wg.Done(); errs[2*i] = s.p.Run(runCtx) }()
		go func() { defer wg.Done(); errs[2*i+1] = s.client.Run(runCtx) }()
	}
	stop := func() { cancel(); wg.Wait() }

	snap := func() []pipeline.Stats {
		out := make([]pipeline.Stats, len(streams))
		for i, s := range streams {
			out[i] = s.p.Stats()
		}
		return out
	}
	// Streams join the camera mid-GOP and wait for a keyframe: warm up
	// from the moment every stream decodes.
	for deadline := time.Now().Add(30 * time.Second); ; {
		n := 0
		for _, st := range snap() {
			if st.Decoded > 0 {
				n++
			}
		}
		if n == len(streams) {
			break
		}
		if time.Now().After(deadline) || !retry.Sleep(ctx, 50*time.Millisecond) {
			stop()
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			return res, fmt.Errorf("bench: %d of %d streams decoded nothing in 30 s (errors %v)", len(streams)-n, len(streams), errs)
		}
	}
	if !retry.Sleep(ctx, cfg.Warmup) {
		stop()
		return res, ctx.Err()
	}
	if profile != nil {
		if err := profile(true); err != nil {
			stop()
			return res, err
		}
	}
	lat.set(true)
	before := snap()
	cpu0, t0 := selfCPU(), time.Now()
	ok := retry.Sleep(ctx, cfg.Duration)
	res.cpu, res.wall = selfCPU()-cpu0, time.Since(t0)
	for i, a := range snap() {
		res.streams = append(res.streams, statsDelta(a, before[i]))
	}
	lat.set(false)
	res.rssTotal = selfRSS()
	if profile != nil {
		profile(false)
	}
	stop()
	if !ok {
		return res, ctx.Err()
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			res.clientErrs = append(res.clientErrs, err)
		}
	}
	res.timings = lat.all
	return res, nil
}
