package agent

import (
	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/detpool"
)

// analysisOptions is what the camera's chain needs from the agent besides
// its config: the shared detector and the snapshotter, run last so a
// snapshot shows the analysed frame.
func (c *camera) analysisOptions() analysis.Options {
	return analysis.Options{Last: c.snaps, Pool: c.pool}
}

// newPool loads the shared detector, one model instance per
// detector.workers, when its model is there (a reload or discovery may add
// a camera that needs it) or a camera needs it (then a missing model is
// the error). Nil when neither.
func newPool(cfg *config.Config, m detpool.Metrics) (*detpool.Pool, error) {
	need := cfg.Detector.Model != "" || (cfg.Discovery.Enabled && cfg.Defaults.UsesPoolOnceNamed())
	for i := range cfg.Cameras {
		need = need || cfg.Cameras[i].UsesPool()
	}
	if !need {
		return nil, nil
	}
	model := cfg.Detector.Model
	return detpool.New(detpool.Config{
		Workers: cfg.Detector.Workers,
		New:     func() (detpool.Inferer, error) { return analysis.NewPoolModel(model) },
		Metrics: m,
	})
}
