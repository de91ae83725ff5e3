package agent

import "github.com/pantau/pantau/agent/analysis"

// analysisOptions is what the camera's chain needs from the agent besides
// its config: the snapshotter, run last so a snapshot shows the analysed
// frame.
func (c *camera) analysisOptions() analysis.Options {
	return analysis.Options{Last: c.snaps}
}
