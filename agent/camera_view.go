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
// and when its whole view last changed; part of the retained status
// (statusReporter.view, guarded by its mutex).
type viewState struct {
	mode    string
	changed time.Time
}

// noteView reports a frame's view to the metrics, the log and the retained
// status: a switch to or from infrared is logged once with what the chain
// did about it, and the status says the new mode at the reporter's next
// tick. Called from the analyzer goroutine.
func (c *camera) noteView(r *vision.Result) {
	m := c.counts.metrics
	if r.MotionRestart != "" {
		m.MotionRestart(r.MotionRestart)
	}
	if r.View == "" && r.ViewChange == "" {
		return
	}
	if c.report.setView(r.View, r.ViewChange != "", r.Time) {
		m.View(r.View)
	}
	if r.ViewChange == "" {
		return
	}
	m.ViewChange(r.ViewChange)
	c.stream.log.Info("view changed: not motion nor tampering, learning the new view",
		"change", r.ViewChange, "view", r.View,
		"motion_background_restarted", r.MotionRestart == vision.RestartViewChange,
		"tamper_relearning", c.config().Tamper.Enabled)
}

// setView records the picture mode and, when the view changed at t, the
// time of the change; that status is then published at the next tick
// rather than from the analyzer goroutine. It reports whether the mode
// changed.
func (s *statusReporter) setView(mode string, changed bool, t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	modeChanged := mode != s.view.mode
	s.view.mode = mode
	if changed {
		s.view.changed = t
		s.published = time.Time{}
	}
	return modeChanged
}
