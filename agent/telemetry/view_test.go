package telemetry

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestViewMetrics: a camera's view series exist at 0 from the start (so
// rate() and alerts see them), count its switches and restarts, follow its
// mode, and go with the camera.
func TestViewMetrics(t *testing.T) {
	m, reg := newMetrics(t, WithoutRuntimeCollectors())
	c := m.Camera("gate")
	c.View("day")
	c.ViewChange("day_to_ir")
	c.MotionRestart("view_change")
	c.View("ir")
	c.MotionRestart("global_change")
	want := `
# HELP pantau_camera_view Picture mode of the camera: 1 for the mode it is in (day: colour, ir: infrared night mode), 0 for the other; both 0 while unknown.
# TYPE pantau_camera_view gauge
pantau_camera_view{camera="gate",view="day"} 0
pantau_camera_view{camera="gate",view="ir"} 1
# HELP pantau_motion_background_restarts_total Times the camera's motion background model was thrown away and learnt again: view_change (day/infrared switch, lighting step), global_change (most of the picture changed at once).
# TYPE pantau_motion_background_restarts_total counter
pantau_motion_background_restarts_total{camera="gate",reason="global_change"} 1
pantau_motion_background_restarts_total{camera="gate",reason="view_change"} 1
# HELP pantau_view_changes_total Changes of the camera's whole view taken as a new view, not motion nor tampering: day_to_ir, ir_to_day (infrared night mode switched), lighting (brightness step).
# TYPE pantau_view_changes_total counter
pantau_view_changes_total{camera="gate",change="day_to_ir"} 1
pantau_view_changes_total{camera="gate",change="ir_to_day"} 0
pantau_view_changes_total{camera="gate",change="lighting"} 0
`
	names := []string{"pantau_camera_view", "pantau_motion_background_restarts_total", "pantau_view_changes_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	m.Remove("gate")
	if n, err := testutil.GatherAndCount(reg, names...); err != nil || n != 0 {
		t.Errorf("after Remove: %d series (%v), want 0", n, err)
	}
}
