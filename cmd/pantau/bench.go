package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pantau/pantau/agent/bench"
)

// cmdBench measures the frame path against the usual ffmpeg-subprocess
// pipeline (the peer), the ffmpeg decode floor and a naive OpenCV loop:
//
//	pantau bench --clip FILE [--streams N] [--mode full|keyframes|auto] [--fps F] [--duration D] [--rounds N] [--aligned] [--json]
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	var cfg bench.Config
	fs.StringVar(&cfg.Clip, "clip", "", "H.264 or H.265 file served over RTSP on loopback")
	fs.IntVar(&cfg.Streams, "streams", 1, "concurrent pipelines (cameras)")
	fs.StringVar(&cfg.Mode, "mode", "auto", "decode mode: full, keyframes or auto")
	fs.Float64Var(&cfg.FPS, "fps", 5, "analysis frames per second")
	fs.IntVar(&cfg.AnalysisWidth, "width", 640, "analysis width in pixels")
	fs.DurationVar(&cfg.Duration, "duration", 0, "measured time (default 20s)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "time before measuring (default 3s)")
	fs.StringVar(&cfg.LoopFilter, "loop-filter", "", "decode.loop_filter for the pipelines: all, nonref or never (default: the agent's default)")
	fs.IntVar(&cfg.MotionWidth, "motion-width", 0, "the camera's motion.width (default: the camera default)")
	fs.IntVar(&cfg.OpenCVThreads, "opencv-threads", 0, "OpenCV threads in Pantau's windows (default 1, as the agent; -1: OpenCV's default)")
	fs.IntVar(&cfg.Rounds, "rounds", 1, "Pantau and peer windows alternate this many times (figures are summed)")
	fs.BoolVar(&cfg.Aligned, "aligned", false, "serve every stream from one simulated camera: all keyframes at the same instant (worst case; default: one camera per stream, GOPs spread)")
	fs.IntVar(&cfg.ReferenceNice, "ref-nice", 0, "nice increment of the threads decoding pictures that are not analysed (0: the default, -1: one decoding thread per stream)")
	fs.IntVar(&cfg.CPUTokens, "cpu-tokens", 0, "pipelines share a gate of N tokens for decoding and analysis (0: none)")
	fs.BoolVar(&cfg.NoPeer, "no-peer", false, "skip the ffmpeg-subprocess peer pipeline")
	fs.BoolVar(&cfg.NoFloor, "no-floor", false, "skip the ffmpeg floor")
	fs.BoolVar(&cfg.NoNaive, "no-naive", false, "skip the naive OpenCV baseline")
	fs.BoolVar(&cfg.RealtimeFloor, "realtime-floor", false, "also measure the floor paced like a camera (ffmpeg -re), takes --duration")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a pprof CPU profile of the measured window to this file")
	inProcess := fs.Bool("server-in-process", false, "run the RTSP server in this process (its CPU is then counted)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pantau bench: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if cfg.Clip == "" {
		fmt.Fprintln(stderr, "pantau bench: --clip FILE is required")
		fs.Usage()
		return errUsage
	}
	if !*inProcess {
		// The camera simulator runs as a child so that its CPU is not
		// counted as pantau's.
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: cannot find own executable for the RTSP server: %w", err)
		}
		cfg.ServerCommand = []string{exe, "camsim", "--clip", cfg.Clip}
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
