package agent

import (
	"time"

	"github.com/pantau/pantau/vision"
)

// viewMetrics is what a camera reports about its view (day/infrared
// switches) to Prometheus; agent/telemetry's CameraMetrics implement it.
type viewMetrics interface {
	ViewChange(change string)
	View(view string)
	MotionRestart(reason string)
}

// viewState is the camera's picture mode as its view watcher last saw it
// and when its whole view last changed; guarded by camera.mu.
type viewState struct {
	mode    string
	changed time.Time
}

// noteView reports a frame's view to the metrics, the log and the retained
// status: a switch to or from infrared is logged once with what the chain
// did about it, and the status says the new mode at the next tick.
func (c *camera) noteView(r *vision.Result) {
	if r.MotionRestart != "" {
		c.metrics.MotionRestart(r.MotionRestart)
	}
	if r.View == "" && r.ViewChange == "" {
		return
	}
	c.mu.Lock()
	tamperOn := c.current.Tamper.Enabled
	modeChanged := r.View != c.view.mode
	c.view.mode = r.View
	if r.ViewChange != "" {
		c.view.changed = r.Time
		// Published by the next tick: not from the analyzer goroutine.
		c.published = time.Time{}
	}
	c.mu.Unlock()
	if modeChanged {
		c.metrics.View(r.View)
	}
	if r.ViewChange == "" {
		return
	}
	c.metrics.ViewChange(r.ViewChange)
	restarted := r.MotionRestart == vision.RestartViewChange
	c.log.Info("view changed: not motion nor tampering, learning the new view",
		"change", r.ViewChange, "view", r.View, "motion_background_restarted", restarted,
		"tamper_relearning", tamperOn)
}
