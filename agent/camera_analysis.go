package agent

import (
	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// analysisOptions is what the camera's chain needs from the agent besides
// its config: the snapshotter and the web UI's live tap, run last so both
// see the analysed frame and everything found in it.
func (c *camera) analysisOptions() analysis.Options {
	if c.tap == nil {
		return analysis.Options{Last: c.snaps}
	}
	return analysis.Options{Last: lastStages{c.snaps, c.tap}}
}

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
