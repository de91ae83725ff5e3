package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/eval"
)

// cmdEval runs one camera's analytics on a clip as fast as it can, lists
// the events and per-interval counts and, with --truth, scores them.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	clip := fs.String("clip", "", "H.264/H.265 clip to analyse (required)")
	cfgPath := fs.String("c", "configs/pantau.yaml", "config file with the camera's lines, zones and analytics")
	camName := fs.String("camera", "", "camera in the config whose analytics to run (may be left out when there is one)")
	truthPath := fs.String("truth", "", "ground truth CSV (time_s,rule,direction[,class]) to score against")
	asJSON := fs.Bool("json", false, "print JSON: the score report with --truth, else the events and intervals")
	annotate := fs.String("annotate", "", "write an annotated H.264 video (boxes, track IDs, lines, zones, counters) to this file")
	tol := fs.Duration("tolerance", eval.DefaultTolerance, "how far apart a counted and a true event may be to match")
	interval := fs.Duration("interval", 0, "counts interval (default: the config's counts.interval)")
	from := fs.Float64("from", 0, "score only events from this many seconds into the clip (for truth labelling a stretch)")
	to := fs.Float64("to", 0, "score only events before this many seconds into the clip (0: to the end)")
	startAt := fs.String("start", "", "wall-clock time of the clip's first frame, RFC 3339 (for intrusion schedules; default 1970-01-01T00:00:00Z)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pantau eval --clip FILE -c CONFIG --camera NAME [--truth FILE.csv] [--json] [--annotate OUT.mp4]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *clip == "" {
		fs.Usage()
		return errUsage
	}
	if *tol <= 0 {
		return fmt.Errorf("--tolerance: must be positive, got %v", *tol)
	}
	if *from < 0 || (*to != 0 && *to <= *from) {
		return fmt.Errorf("--from %g --to %g: want 0 ≤ from < to (to 0 means the end)", *from, *to)
	}
	var truth []eval.Truth
	if *truthPath != "" {
		var err error
		if truth, err = eval.ReadTruth(*truthPath); err != nil {
			return err
		}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	cam, err := findCamera(cfg, *camName)
	if err != nil {
		return err
	}
	as, err := analysis.Build(*cam, analysis.Options{Model: cfg.Detector.Model, Engine: cfg.Detector.Engine})
	if err != nil {
		return fmt.Errorf("camera %s: %w", cam.Name, err)
	}
	defer analysis.Close(as)
	rc := eval.RunConfig{
		Clip:     *clip,
		Pipeline: eval.CameraPipeline(*cam),
		Interval: cfg.Counts.Interval,
		Annotate: *annotate,
		Overlay:  eval.CameraOverlay(*cam),
	}
	// Decode as the agent would with this config.
	rc.Pipeline.LoopFilter = cfg.Decode.LoopFilter
	if *interval > 0 {
		rc.Interval = *interval
	}
	if *startAt != "" {
		if rc.Pipeline.FileStart, err = time.Parse(time.RFC3339, *startAt); err != nil {
			return fmt.Errorf("--start: %w", err)
		}
	}
	for _, a := range as {
		rc.Analyzers = append(rc.Analyzers, a)
	}
	out, err := eval.Run(ctx, rc)
	if err != nil {
		return err
	}
	var rep *eval.Report
	if truth != nil {
		ts, cs := eval.Window(truth, out.Counted, *from, *to)
		r := eval.Score(ts, cs, *tol)
		rep = &r
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if rep != nil {
			return enc.Encode(rep)
		}
		return enc.Encode(out)
	}
	eval.WriteText(stdout, out, rep, *tol)
	return nil
}

func findCamera(cfg *config.Config, name string) (*config.Camera, error) {
	if name == "" {
		if len(cfg.Cameras) == 1 {
			return &cfg.Cameras[0], nil
		}
		return nil, fmt.Errorf("--camera: the config has %d cameras; name one", len(cfg.Cameras))
	}
	var names []string
	for i := range cfg.Cameras {
		if cfg.Cameras[i].Name == name {
			return &cfg.Cameras[i], nil
		}
		names = append(names, cfg.Cameras[i].Name)
	}
	return nil, fmt.Errorf("--camera: no camera %q in the config (have %v)", name, names)
}
