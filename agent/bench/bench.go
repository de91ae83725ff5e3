// Package bench measures Pantau's frame path against the pipeline people
// build instead, the decode floor and a naive OpenCV loop (`pantau bench`).
// It serves a clip over RTSP on loopback to N pipelines (RTSP client →
// queue → libavcodec → gray frame → the analysis chain of a camera with
// `detector: {type: blob}`), measures this process's CPU time
// (getrusage), RSS, frame rates, drops and access-unit-to-result latency.
// In the same run, alternating with Pantau's window round by round, it
// measures the peer on the same server and stream count: per camera an
// ffmpeg child decoding the stream to gray raw video at the analysis rate
// and size on a pipe, and OpenCV MOG2 + opening + contours on each
// picture (peer.go). It then decodes the clip with `ffmpeg -threads 1
// -skip_loop_filter all` (the floor, CPU from the child's rusage) and
// with gocv's VideoCapture plus the motion analyzer on every full-size
// frame (the naive loop, a second reference).
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/vision/decode"
)

// Config configures a Run. Only Clip is required.
type Config struct {
	// Clip is the H.264 or H.265 file to serve.
	Clip string
	// Streams is the number of concurrent pipelines. It defaults to 1.
	Streams int
	// Mode is the pipelines' decode mode: full, keyframes or auto. It
	// defaults to auto.
	Mode string
	// FPS is the analysis rate. It defaults to 5.
	FPS float64
	// AnalysisWidth defaults to 640.
	AnalysisWidth int
	// Duration is how long the pipelines are measured. It defaults to 20 s.
	Duration time.Duration
	// Warmup runs before measuring (connect, first keyframe, settle). It
	// defaults to 3 s.
	Warmup time.Duration
	// ServerCommand, when set, runs the RTSP server as a child process
	// (e.g. pantau camsim --clip FILE) so its CPU is not counted; the
	// bench appends "--rtsp 127.0.0.1:PORT". Otherwise the server runs in
	// this process and its CPU is included (Report.ServerInProcess).
	ServerCommand []string
	// LoopFilter is the pipelines' decode.loop_filter: all, nonref or
	// never. It defaults to the pipeline's default.
	LoopFilter string
	// MotionWidth is the camera's motion.width (background subtraction on
	// a picture shrunk to it). 0 keeps the camera default.
	MotionWidth int
	// OpenCVThreads is OpenCV's thread count (cv::setNumThreads) in
	// Pantau's windows. It defaults to 1, as the agent sets it; -1 leaves
	// OpenCV's default. The peer always runs with OpenCV's default.
	OpenCVThreads int
	// Rounds is how many times the Pantau window and the peer window run,
	// one after the other, so that both see the same load on a shared
	// machine. It defaults to 1.
	Rounds int
	// Aligned serves every stream from one simulated camera, so all
	// streams' keyframes and analysed pictures fall at the same instant
	// (the worst case). By default each stream has its own simulated
	// camera, started at a different point of the GOP, as independent
	// cameras are (see startFrames).
	Aligned bool
	// ReferenceNice is the pipelines' pipeline.Config.ReferenceNice (0:
	// the default, negative: one decoding thread per stream).
	ReferenceNice int
	// CPUTokens, when > 0, makes the pipelines share a pipeline.CPUGate
	// of that many tokens.
	CPUTokens int
	// NoPeer, NoFloor and NoNaive skip the three reference measurements.
	NoPeer, NoFloor, NoNaive bool
	// RealtimeFloor also measures the floor with ffmpeg -re (paced like a
	// camera) for up to Duration of the clip; it takes that long.
	RealtimeFloor bool
	// NaiveMax bounds the naive loop's wall time. It defaults to 20 s.
	NaiveMax time.Duration
	// CPUProfile, when set, is a file for a pprof CPU profile of the
	// measured window.
	CPUProfile string
	// Log receives the pipelines' logs. It defaults to discarding.
	Log *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.Clip == "" {
		return errors.New("bench: no clip given (--clip FILE)")
	}
	if _, err := os.Stat(c.Clip); err != nil {
		return fmt.Errorf("bench: clip: %w", err)
	}
	if c.Streams < 0 || c.FPS < 0 || c.Duration < 0 || c.Warmup < 0 || c.Rounds < 0 {
		return errors.New("bench: streams, fps, duration, warm-up and rounds must not be negative")
	}
	if c.Rounds == 0 {
		c.Rounds = 1
	}
	if c.AnalysisWidth == 0 {
		c.AnalysisWidth = 640
	}
	if c.Streams == 0 {
		c.Streams = 1
	}
	if c.Mode == "" {
		c.Mode = pipeline.ModeAuto
	}
	if c.Mode != pipeline.ModeFull && c.Mode != pipeline.ModeKeyframes && c.Mode != pipeline.ModeAuto {
		return fmt.Errorf("bench: mode %q: want full, keyframes or auto", c.Mode)
	}
	if c.FPS == 0 {
		c.FPS = 5
	}
	if c.Duration == 0 {
		c.Duration = 20 * time.Second
	}
	if c.Warmup == 0 {
		c.Warmup = 3 * time.Second
	}
	if c.NaiveMax == 0 {
		c.NaiveMax = 20 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run measures; it returns the report or the first error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	counts, err := countClip(cfg.Clip)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Clip: cfg.Clip, Codec: counts.info.Codec, Width: counts.info.Width, Height: counts.info.Height,
		ClipFPS: counts.info.FPS, Streams: cfg.Streams, Mode: cfg.Mode, FPS: cfg.FPS, Rounds: cfg.Rounds,
		LoopFilter: cfg.LoopFilter, ReferenceNice: refNice(cfg.ReferenceNice), ServerInProcess: len(cfg.ServerCommand) == 0, Machine: machine(),
	}

	rep.StartFrames = startFrames(cfg, counts)
	rep.Aligned = cfg.Streams > 1 && rep.StartFrames == nil
	urls, stopServer, err := startServers(ctx, cfg, rep.StartFrames)
	if err != nil {
		return nil, err
	}
	var prof *os.File
	profile := func(start bool) error {
		if cfg.CPUProfile == "" {
			return nil
		}
		if !start {
			pprof.StopCPUProfile()
			return prof.Close()
		}
		if prof, err = os.Create(cfg.CPUProfile); err != nil {
			return err
		}
		return pprof.StartCPUProfile(prof)
	}
	load := loadAverage()
	var live liveResult
	var peer peerResult
	var peerErr error
	pw, ph := decode.AnalysisSize(counts.info.Width, counts.info.Height, cfg.AnalysisWidth)
	for round := range cfg.Rounds {
		l, err := runLive(ctx, cfg, urls, profile)
		if err != nil {
			stopServer()
			return nil, err
		}
		live.add(l)
		profile = nil // the first round's window only
		if cfg.NoPeer || peerErr != nil {
			continue
		}
		p, err := runPeer(ctx, cfg, urls, pw, ph)
		if err != nil {
			if ctx.Err() != nil {
				stopServer()
				return nil, ctx.Err()
			}
			// A peer that cannot keep up (too many streams for the CPU)
			// is a finding, not a reason to lose Pantau's figures.
			peerErr = fmt.Errorf("peer: %w (round %d)", err, round+1)
			continue
		}
		peer.add(p)
	}
	serverCPU := stopServer()
	rep.addLive(live, cfg)
	if peerErr != nil {
		rep.Errors = append(rep.Errors, peerErr.Error())
	} else if !cfg.NoPeer {
		rep.addPeer(peer, cfg)
	}
	rep.LoadAverage = load
	if !rep.ServerInProcess {
		// Over the server's whole life, not only the measured window.
		rep.ServerCPUS = serverCPU.Seconds()
	}

	// The floor decodes what pantau decoded: keyframes only when the
	// pipelines ended in keyframes mode.
	keyframes := rep.Modes[pipeline.ModeKeyframes] == cfg.Streams
	if !cfg.NoFloor {
		cpu, cmd, err := runFloor(ctx, cfg.Clip, keyframes, 0)
		if err != nil {
			return nil, err
		}
		frames := counts.frames
		if keyframes {
			frames = counts.keys
		}
		rep.FloorCommand = cmd
		rep.FloorFrames = frames
		rep.FloorCPUPerFrame = cpu.Seconds() / float64(frames)
		if rep.FloorCPUPerFrame > 0 {
			rep.RatioToFloor = rep.CPUPerDecodedFrame / rep.FloorCPUPerFrame
			rep.DecodeRatioToFloor = rep.DecodeCPUPerFrame / rep.FloorCPUPerFrame
		}
	}
	if cfg.RealtimeFloor {
		d := min(cfg.Duration, counts.info.Duration)
		if d <= 0 {
			d = cfg.Duration
		}
		cpu, _, err := runFloor(ctx, cfg.Clip, keyframes, d)
		if err != nil {
			return nil, err
		}
		if frames := counts.upTo(d, keyframes); frames > 0 {
			rep.RealtimeFloorCPUPerFrame = cpu.Seconds() / float64(frames)
			rep.RatioToRealtimeFloor = rep.CPUPerDecodedFrame / rep.RealtimeFloorCPUPerFrame
			rep.DecodeRatioToRealtimeFloor = rep.DecodeCPUPerFrame / rep.RealtimeFloorCPUPerFrame
		}
	}
	if !cfg.NoNaive {
		fps := counts.info.FPS
		if fps <= 0 {
			fps = 25
		}
		nv, err := runNaive(ctx, cfg.Clip, fps, cfg.NaiveMax)
		if err != nil {
			return nil, err
		}
		rep.NaiveFrames = nv.frames
		rep.NaiveCPUPerFrame = nv.cpu.Seconds() / float64(nv.frames)
		rep.NaiveCPUPerStreamMinute = nv.cpu.Seconds() / nv.video.Minutes()
		if rep.CPUPerStreamMinute > 0 {
			rep.NaiveOverPantau = rep.NaiveCPUPerStreamMinute / rep.CPUPerStreamMinute
		}
	}
	return rep, nil
}

// addLive fills the pantau figures.
func (r *Report) addLive(l liveResult, cfg Config) {
	secs := l.wall.Seconds()
	r.DurationS = secs
	r.CPUS = l.cpu.Seconds()
	r.CPUCores = r.CPUS / secs
	r.Modes = map[string]int{}
	r.DroppedByReason = map[string]uint64{}
	var decoded, analysed uint64
	var decodeCPU time.Duration
	for _, a := range l.streams {
		s := StreamReport{
			Mode:         a.Mode,
			DecodedFPS:   float64(a.Decoded) / secs,
			AnalysedFPS:  float64(a.Analysed) / secs,
			Dropped:      a.DroppedTotal(),
			DecodeErrors: a.DecodeErrors,
		}
		for k, v := range a.Dropped {
			r.DroppedByReason[k] += v
		}
		r.Modes[a.Mode]++
		r.PerStream = append(r.PerStream, s)
		decoded += a.Decoded
		decodeCPU += a.DecodeCPU
		analysed += a.Analysed
		r.Dropped += s.Dropped
	}
	r.DecodedFPS = float64(decoded) / secs
	r.AnalysedFPS = float64(analysed) / secs
	if analysed > 0 {
		r.CPUPerFrame = r.CPUS / float64(analysed)
	}
	if decoded > 0 {
		r.CPUPerDecodedFrame = r.CPUS / float64(decoded)
		r.DecodeCPUPerFrame = decodeCPU.Seconds() / float64(decoded)
	}
	r.CPUPerStreamMinute = r.CPUS / (float64(cfg.Streams) * secs / 60)
	r.RSSBaseBytes = l.rssBase
	r.RSSTotalBytes = l.rssTotal
	r.RSSPerStreamBytes = (l.rssTotal - l.rssBase) / int64(cfg.Streams)
	lat := make([]time.Duration, len(l.timings))
	for i, t := range l.timings {
		lat[i] = t.Done.Sub(t.Arrived)
	}
	slices.Sort(lat)
	r.LatencyStages = latencyStages(l.timings)
	r.LatencyP50Ms = float64(percentile(lat, 50).Microseconds()) / 1000
	r.LatencyP95Ms = float64(percentile(lat, 95).Microseconds()) / 1000
	for _, err := range l.clientErrs {
		r.Errors = append(r.Errors, err.Error())
	}
}

// loadAverage is the 1-minute load average before the run (other work
// on the machine skews every figure).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}

// machine describes the CPU this ran on.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range slices.Collect(splitLines(string(b))) {
			if k, v, ok := cut(line, ":"); ok && k == "model name" {
				model = v
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// refNice is the nice increment a pipeline's ReferenceNice setting
// gives the reference-only decoding thread (0: none, one thread).
func refNice(n int) int {
	switch {
	case n == 0:
		return decode.DefaultReferenceNice
	case n < 0:
		return 0
	}
	return n
}
