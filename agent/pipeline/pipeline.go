// Package pipeline runs one camera's frame path: access units from the
// network go into a bounded queue (Push never blocks), a decoder goroutine
// turns the ones worth decoding into gray frames at the analysis rate, and
// a latest-wins hand-off gives the newest frame to the analyzer goroutine,
// which runs the analyzers in order and calls onResult.
//
// Decode modes: full (every picture decoded, loop filter and unwanted
// non-reference pictures skipped), keyframes (only random-access units
// decoded) and auto (keyframes when they alone give the analysis rate,
// else full, stepping down to keyframes under CPU pressure and back up
// when there is headroom).
package pipeline

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// AccessUnit is one coded picture from the camera: NAL units without start
// codes (the pipeline takes ownership of the slices), the stream time,
// whether decoding can start at it, and when it arrived.
type AccessUnit struct {
	NALUs        [][]byte
	PTS          time.Duration
	RandomAccess bool
	Received     time.Time
	// Codec is "h264" or "h265"; empty means Config.Codec. A change
	// re-opens the decoder (camera reconfigured).
	Codec string
}

// Timing is where an analysed frame's time went, from the arrival of its
// access unit (the last RTP packet) to the end of the analysis: waiting
// for the decoder (Arrived to DecodeStart), decoding (to Decoded),
// waiting for the analyzers (to AnalysisStart) and analysing (to Done).
// With B-frames the decoding times are those of the unit that made the
// decoder hand the picture out.
type Timing struct {
	Arrived, DecodeStart, Decoded, AnalysisStart, Done time.Time
}

// Analyzer looks at frames. Analyze is called from one goroutine, in the
// order the analyzers were given, with r reset before the first one; it
// must not keep f or r after returning.
type Analyzer interface {
	Name() string
	Analyze(f *frame.Frame, r *vision.Result) error
}

// Metrics receives the pipeline's counters (agent/telemetry implements
// it). Methods are called from several goroutines and must not block.
type Metrics interface {
	FrameReceived()
	FrameDecoded(d time.Duration)
	FrameAnalysed(analyzer string, d time.Duration)
	FrameDropped(reason string)
	DecodeError()
	DecodeMode(mode string)
}

// Drop reasons given to Metrics.FrameDropped and in Stats.Dropped.
const (
	// DropQueueFull: the decoder fell behind; units are dropped from the
	// first one that did not fit until the next random-access unit.
	DropQueueFull = "queue_full"
	// DropAnalyzerBusy: a decoded frame was replaced by a newer one before
	// the analyzers took it.
	DropAnalyzerBusy = "analyzer_busy"
	// DropNoFrame: every pooled frame was in use (decoded, not handed out).
	DropNoFrame = "no_frame"
	// DropStale: the unit waited longer than Config.MaxDelay for the
	// decoder; in full mode units are then dropped until the next
	// random-access unit.
	DropStale = "stale"
)

var dropReasons = [...]string{DropQueueFull, DropAnalyzerBusy, DropNoFrame, DropStale}

// Config configures a Pipeline. The zero value is usable.
type Config struct {
	// Codec is "h264" or "h265". It defaults to "h264"; AccessUnit.Codec
	// overrides it.
	Codec string
	// AnalysisWidth is the width of the gray frames given to analyzers
	// (aspect kept, capped for very large sources). It defaults to 640.
	AnalysisWidth int
	// FPS is the analysis rate, by stream time. It defaults to 5.
	FPS float64
	// Decode is "full", "keyframes" or "auto". It defaults to "auto".
	Decode string
	// Threads is the decoder's thread count. It defaults to 1.
	Threads int
	// NeedColour keeps colour so analyzers can call Frame.BGR; set it when
	// an analyzer needs colour (it costs two small resizes per frame).
	NeedColour bool
	// AnalyzerFailed is told about every analyzer error, on the analyzer
	// goroutine: the agent's one log summariser. Nil logs them through a
	// summariser of the pipeline's own (one line per 10 s with a count).
	AnalyzerFailed func(analyzer string, err error)
	// Queue is how many access units may wait for the decoder. It
	// defaults to 32.
	Queue int
	// MaxDelay bounds how long a unit may wait for the decoder (from
	// AccessUnit.Received): older ones are dropped, so an overloaded
	// machine loses frames instead of falling ever further behind.
	// It defaults to 2 seconds.
	MaxDelay time.Duration
	// PressureSeconds is how many consecutive seconds with queue-full or
	// stale drops make auto mode step down to keyframes; each episode adds
	// a random 0–2× more, so that of several cameras sharing a CPU the
	// first to step down can relieve the others. It defaults to 3.
	PressureSeconds int
	// MinHold is how long auto mode stays in keyframes after pressure
	// before trying full decoding again (when the process leaves headroom),
	// plus a random 0–50 %; it doubles up to MaxHold when pressure comes
	// back soon after.
	// They default to 30 seconds and 10 minutes.
	MinHold, MaxHold time.Duration
	// Headroom reports whether the machine has CPU to spare for full
	// decoding; it is called about once a second from the decoder
	// goroutine. It defaults to: the process used under 75 % of all cores
	// in the last second.
	Headroom func() bool
	// LoopFilter is on which pictures the loop filter is skipped: "all"
	// (the default), "nonref" or "never" (decode.Options.LoopFilter).
	LoopFilter string
	// ResyncOnLoss makes the decoder wait for the next random-access unit
	// after a damaged picture (packet loss, corrupt slices). By default it
	// keeps decoding and drops only the pictures libavcodec flags: at 1 %
	// RTP loss that keeps 91 % of the pictures (waiting: 24 %), at 5 %
	// 60 % (waiting: none); see docs/performance.md.
	ResyncOnLoss bool
	// StallTimeout: Run fails with ErrStalled when no picture was decoded
	// for this long. 0 means the larger of 10 s and twice the observed
	// keyframe interval (at least 30 s until the first picture while the
	// interval is unknown); negative turns the watchdog off.
	StallTimeout time.Duration
	// CPU, when set, is shared by the cameras of a process: each decode
	// and each analysis waits for one of its tokens (see CPUGate). Nil
	// (the default) leaves the scheduling to the kernel.
	CPU *CPUGate
	// ReferenceNice is decode.Options.ReferenceNice: how much nicer the
	// thread is that decodes pictures only later ones need. It defaults
	// to decode.DefaultReferenceNice; negative decodes all on one thread.
	ReferenceNice int
	// Timing, when set, is called on the analyzer goroutine after each
	// frame Run analysed, with where its time went; for benchmarks. It
	// must not block.
	Timing func(Timing)
	// FileStart is, for RunFile, the wall-clock time of the clip's first
	// picture (Frame.Time = FileStart + PTS). It defaults to the Unix epoch.
	FileStart time.Time
}

func (c *Config) setDefaults() error {
	if c.Codec == "" {
		c.Codec = "h264"
	}
	if c.Codec != "h264" && c.Codec != "h265" {
		return fmt.Errorf("pipeline: codec %q: want h264 or h265", c.Codec)
	}
	if c.Decode == "" {
		c.Decode = ModeAuto
	}
	switch c.LoopFilter {
	case "", "all", "nonref", "never":
	default:
		return fmt.Errorf("pipeline: loop filter %q: want all, nonref or never", c.LoopFilter)
	}
	if c.Decode != ModeFull && c.Decode != ModeKeyframes && c.Decode != ModeAuto {
		return fmt.Errorf("pipeline: decode %q: want full, keyframes or auto", c.Decode)
	}
	if c.FPS < 0 || c.AnalysisWidth < 0 || c.Threads < 0 || c.Queue < 0 || c.PressureSeconds < 0 {
		return fmt.Errorf("pipeline: negative fps, analysis width, threads, queue or pressure seconds")
	}
	if c.FPS == 0 {
		c.FPS = 5
	}
	if c.Queue == 0 {
		c.Queue = 32
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 2 * time.Second
	}
	if c.PressureSeconds == 0 {
		c.PressureSeconds = 3
	}
	if c.MinHold <= 0 {
		c.MinHold = 30 * time.Second
	}
	if c.MaxHold < c.MinHold {
		c.MaxHold = max(10*time.Minute, c.MinHold)
	}
	if c.Headroom == nil {
		var m cpuMeter
		c.Headroom = func() bool { return m.busy() < 0.75 }
	}
	return nil
}

// Pipeline is one camera's frame path. Create it with New, feed it with
// Push from any goroutine, and Run it once.
type Pipeline struct {
	cfg Config
	// anMu is held while the analyzers run on a frame, so SetAnalyzers
	// can tell when the old ones are out of use.
	anMu      sync.Mutex
	analyzers []Analyzer
	onResult  func(*vision.Result)
	m         Metrics
	log       *slog.Logger
	// failed reports analyzer errors; ownFailed is set when the pipeline
	// summarises them itself (logged out when Run ends).
	failed    func(analyzer string, err error)
	ownFailed *logging.Repeated

	queue   chan AccessUnit
	resync  atomic.Bool // dropping until the next random-access unit
	keyOnly atomic.Bool // keyframes mode: other units are not even queued
	started atomic.Bool
	mode    atomic.Value // string: the effective decode mode
	st      counters
}

// New checks cfg and returns a pipeline. analyzers run in order on every
// analysed frame; onResult (may be nil) is then called on the analyzer
// goroutine with the frame's result, valid only during the call. m may be
// nil (no metrics), log may be nil (no logs).
func New(cfg Config, analyzers []Analyzer, onResult func(*vision.Result), m Metrics, log *slog.Logger) (*Pipeline, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	for i, a := range analyzers {
		if a == nil {
			return nil, fmt.Errorf("pipeline: analyzer %d is nil", i)
		}
	}
	if m == nil {
		m = nopMetrics{}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Pipeline{
		cfg: cfg, analyzers: analyzers, onResult: onResult, m: m, log: log,
		queue: make(chan AccessUnit, cfg.Queue), failed: cfg.AnalyzerFailed,
	}
	if p.failed == nil {
		p.ownFailed = logging.NewSummariser(log, 10*time.Second).Repeated(0, "analyzer failed")
		p.failed = func(analyzer string, err error) { p.ownFailed.Log("analyzer", analyzer, "err", err) }
	}
	p.mode.Store(initialMode(cfg.Decode))
	p.keyOnly.Store(cfg.Decode == ModeKeyframes)
	return p, nil
}

func initialMode(decode string) string {
	if decode == ModeKeyframes {
		return ModeKeyframes
	}
	return ModeFull
}

// Push queues an access unit for decoding. It never blocks: when the queue
// is full the unit is dropped, and so is every following unit until the
// next random-access unit (counted as DropQueueFull). Safe for concurrent
// use; the pipeline owns au.NALUs afterwards.
func (p *Pipeline) Push(au AccessUnit) {
	p.m.FrameReceived()
	p.st.received.Add(1)
	if p.keyOnly.Load() && !au.RandomAccess {
		// The decoder would skip it: spare the queue and a wake-up.
		p.st.skipped.Add(1)
		return
	}
	if p.resync.Load() {
		if !au.RandomAccess {
			p.drop(DropQueueFull)
			return
		}
		p.resync.Store(false)
	}
	select {
	case p.queue <- au:
	default:
		p.resync.Store(true)
		p.drop(DropQueueFull)
	}
}

func (p *Pipeline) drop(reason string) {
	p.m.FrameDropped(reason)
	for i, r := range dropReasons {
		if r == reason {
			p.st.dropped[i].Add(1)
		}
	}
}

// Mode is the decode mode in use: "full" or "keyframes".
func (p *Pipeline) Mode() string { return p.mode.Load().(string) }

// errRunTwice is returned by a second call of Run.
var errRunTwice = errors.New("pipeline: Run called twice")

type nopMetrics struct{}

func (nopMetrics) FrameReceived()                      {}
func (nopMetrics) FrameDecoded(time.Duration)          {}
func (nopMetrics) FrameAnalysed(string, time.Duration) {}
func (nopMetrics) FrameDropped(string)                 {}
func (nopMetrics) DecodeError()                        {}
func (nopMetrics) DecodeMode(string)                   {}
