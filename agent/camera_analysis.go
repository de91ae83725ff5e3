package agent

import (
	"fmt"
	"log/slog"
	"reflect"

	"github.com/pantau/pantau/agent/aggregate"
	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/detpool"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/detect"
	"github.com/pantau/pantau/vision/frame"
)

// lastStages runs the snapshotter, then the live tap. Both outlive any
// one chain (Close on them is harmless), so an analytics update may close
// the old chain while they go on in the new one.
type lastStages [2]analysis.Analyzer

// Name is the stage's name in metrics.
func (l lastStages) Name() string { return "snapshot+live" }

// Analyze runs the snapshotter, then the tap.
func (l lastStages) Analyze(f *frame.Frame, r *vision.Result) error {
	if err := l[0].Analyze(f, r); err != nil {
		return err
	}
	return l[1].Analyze(f, r)
}

// Close does nothing: both stages outlive the chain.
func (l lastStages) Close() error { return nil }

// newPool loads the shared detector, one model instance per
// detector.workers, when its model is there (a reload or discovery may add
// a camera that needs it) or a camera needs it (then a missing model is
// the error). Nil when neither. The log says which engine runs the model.
func newPool(cfg *config.Config, m detpool.Metrics, log *slog.Logger) (*detpool.Pool, error) {
	need := cfg.Detector.Model != "" || (cfg.Discovery.Enabled && cfg.Defaults.UsesPoolOnceNamed())
	for i := range cfg.Cameras {
		need = need || cfg.Cameras[i].UsesPool()
	}
	if !need {
		return nil, nil
	}
	// Each worker is meant to take one core: without this every inference
	// would also spread over all cores, and N workers would fight over
	// N × all (the cameras' own OpenCV calls are one goroutine each anyway).
	detect.SetOpenCVThreads(1)
	model, engine := cfg.Detector.Model, cfg.Detector.Engine
	logged := false
	return detpool.New(detpool.Config{
		Workers: cfg.Detector.Workers,
		New: func() (detpool.Inferer, error) {
			inf, err := analysis.NewPoolModel(model, engine)
			if e, ok := inf.(interface{ Engine() (string, string) }); ok && err == nil && !logged {
				logged = true
				name, why := e.Engine()
				if why != "" {
					log.Info("detector pool model loaded", "model", model, "engine", name, "configured", engine, "why", why)
				} else {
					log.Info("detector pool model loaded", "model", model, "engine", name, "configured", engine)
				}
			}
			return inf, err
		},
		Metrics: m,
	})
}

// logEngines says which engine runs a camera's own dnn model (the pool's
// is logged once by newPool).
func logEngines(log *slog.Logger, as []analysis.Analyzer) {
	for _, a := range as {
		if e, ok := a.(interface{ Engine() (string, string) }); ok {
			name, why := e.Engine()
			if why != "" {
				log.Info("camera detector model loaded", "engine", name, "why", why)
			} else {
				log.Info("camera detector model loaded", "engine", name)
			}
		}
	}
}

// onlyAnalyticsChanged reports whether two configs of one camera differ
// only in what the analyzers do (motion, detector, tracker, lines, zones,
// tamper), so the stream can keep running while the analyzers change.
func onlyAnalyticsChanged(a, b config.Camera) bool {
	strip := func(c config.Camera) config.Camera {
		c.Motion, c.Detector, c.Tracker = config.MotionConfig{}, config.DetectorConfig{}, config.TrackerConfig{}
		c.Lines, c.Zones, c.Tamper = nil, nil, config.TamperConfig{}
		return c
	}
	dnn := func(c config.Camera) bool { return c.Detector.Type == config.DetectorDNN }
	// The decoder keeps colour only for a DNN: switching needs a restart.
	return dnn(a) == dnn(b) && reflect.DeepEqual(strip(a), strip(b))
}

// updateAnalytics swaps the camera's analyzers for ones built from cc
// without touching the stream: no reconnect, no gap in frames. The
// aggregator is flushed (the partial interval is published) and renewed,
// so counts name the new rules. On error the running analyzers stay.
func (c *camera) updateAnalytics(cc config.Camera, aggCfg aggregate.Config) error {
	fresh, err := analysis.Build(cc, c.stream.opts)
	if err != nil {
		return fmt.Errorf("camera %s: %w", cc.Name, err)
	}
	if err := c.stream.swapAnalyzers(fresh); err != nil {
		return err
	}
	logEngines(c.stream.log, fresh)
	c.counts.renew(cc, aggCfg)
	c.stream.log.Info("camera analytics updated without restarting the stream")
	return nil
}
