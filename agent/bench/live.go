package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/devices/rtsp"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/motion"
)

// startServer serves the clip over RTSP on loopback: as a child process
// when cfg.ServerCommand is set (so its CPU is not counted), else in
// process. It returns the stream URL and a stop function.
func startServer(ctx context.Context, cfg Config) (string, func() time.Duration, error) {
	if len(cfg.ServerCommand) == 0 {
		srv, err := camsim.New(camsim.Config{Clip: cfg.Clip, Addr: "127.0.0.1:0"})
		if err != nil {
			return "", nil, err
		}
		if err := srv.Start(ctx); err != nil {
			return "", nil, err
		}
		return srv.URL(), func() time.Duration { srv.Close(); return 0 }, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cctx, cancel := context.WithCancel(ctx)
	args := append(append([]string(nil), cfg.ServerCommand[1:]...), "--rtsp", addr)
	cmd := exec.CommandContext(cctx, cfg.ServerCommand[0], args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, fmt.Errorf("bench: start RTSP server %v: %w", cfg.ServerCommand, err)
	}
	// stop returns the child's CPU time.
	stop := func() time.Duration {
		cancel()
		cmd.Wait()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			return rusageCPU(ru)
		}
		return 0
	}
	// The server prints a line once it listens.
	line := make(chan bool, 1)
	go func() { line <- bufio.NewScanner(out).Scan() }()
	select {
	case ok := <-line:
		if !ok {
			stop()
			return "", nil, fmt.Errorf("bench: RTSP server %v exited: %s", cfg.ServerCommand, stderr.String())
		}
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("bench: RTSP server %v did not start in 30 s", cfg.ServerCommand)
	}
	return "rtsp://" + addr + "/cam", stop, nil
}

// stream is one camera: an RTSP client feeding a pipeline with a motion
// analyzer.
type stream struct {
	p      *pipeline.Pipeline
	client *rtsp.Client
	det    *motion.Detector
}

// latencies collects AU→result latencies while measuring.
type latencies struct {
	mu  sync.Mutex
	on  bool
	all []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	if l.on {
		l.all = append(l.all, d)
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
	cpu        time.Duration
	wall       time.Duration
	rssBase    int64
	rssTotal   int64
	before     []pipeline.Stats
	after      []pipeline.Stats
	latencies  []time.Duration
	clientErrs []error
}

// runLive runs cfg.Streams pipelines against url; it measures CPU, frames
// and latency over cfg.Duration after cfg.Warmup.
func runLive(ctx context.Context, cfg Config, url string, profile func(start bool) error) (liveResult, error) {
	var res liveResult
	res.rssBase = selfRSS()
	var lat latencies
	streams := make([]*stream, cfg.Streams)
	for i := range streams {
		det, err := motion.New(motion.Config{})
		if err != nil {
			return res, err
		}
		defer det.Close()
		p, err := pipeline.New(pipeline.Config{
			AnalysisWidth: cfg.AnalysisWidth, FPS: cfg.FPS, Decode: cfg.Mode,
		}, []pipeline.Analyzer{det}, func(r *vision.Result) { lat.add(time.Since(r.Time)) }, nil, cfg.Log)
		if err != nil {
			return res, err
		}
		client := rtsp.New(rtsp.Config{URL: url}, func(au rtsp.AccessUnit) {
			p.Push(pipeline.AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess,
				Received: au.Received, Codec: au.Codec})
		})
		streams[i] = &stream{p: p, client: client, det: det}
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
		if time.Now().After(deadline) || !sleep(ctx, 50*time.Millisecond) {
			stop()
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			return res, fmt.Errorf("bench: %d of %d streams decoded nothing in 30 s (errors %v)", len(streams)-n, len(streams), errs)
		}
	}
	if !sleep(ctx, cfg.Warmup) {
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
	res.before = snap()
	cpu0, t0 := selfCPU(), time.Now()
	ok := sleep(ctx, cfg.Duration)
	res.cpu, res.wall = selfCPU()-cpu0, time.Since(t0)
	res.after = snap()
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
	res.latencies = lat.all
	return res, nil
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
