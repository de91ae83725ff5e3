package telemetry

import "github.com/prometheus/client_golang/prometheus"

// Label values created at 0 for every camera: the kinds of view change
// (vision.ViewChange*), the picture modes (vision.View*) and why the
// motion background restarted (vision.Restart*).
var (
	knownViewChanges    = []string{"day_to_ir", "ir_to_day", "lighting"}
	knownViews          = []string{"day", "ir"}
	knownRestartReasons = []string{"view_change", "global_change"}
)

// viewMetrics are the day/night series: a camera's switches between its
// colour and infrared modes, the mode it is in, and the restarts of its
// motion background.
type viewMetrics struct {
	changes  *prometheus.CounterVec
	view     *prometheus.GaugeVec
	restarts *prometheus.CounterVec
}

func newViewMetrics() *viewMetrics {
	return &viewMetrics{
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_view_changes_total",
			Help: "Changes of the camera's whole view taken as a new view, not motion nor tampering: day_to_ir, ir_to_day (infrared night mode switched), lighting (brightness step)."},
			[]string{"camera", "change"}),
		view: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pantau_camera_view",
			Help: "Picture mode of the camera: 1 for the mode it is in (day: colour, ir: infrared night mode), 0 for the other; both 0 while unknown."},
			[]string{"camera", "view"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pantau_motion_background_restarts_total",
			Help: "Times the camera's motion background model was thrown away and learnt again: view_change (day/infrared switch, lighting step), global_change (most of the picture changed at once)."},
			[]string{"camera", "reason"}),
	}
}

func (v *viewMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{v.changes, v.view, v.restarts}
}

// init creates the camera's series at 0.
func (v *viewMetrics) init(camera string) {
	for _, c := range knownViewChanges {
		v.changes.WithLabelValues(camera, c)
	}
	for _, m := range knownViews {
		v.view.WithLabelValues(camera, m).Set(0)
	}
	for _, r := range knownRestartReasons {
		v.restarts.WithLabelValues(camera, r)
	}
}

func (v *viewMetrics) remove(l prometheus.Labels) {
	v.changes.DeletePartialMatch(l)
	v.view.DeletePartialMatch(l)
	v.restarts.DeletePartialMatch(l)
}

// ViewChange counts a change of the camera's whole view (change is a
// vision.ViewChange* value).
func (c *CameraMetrics) ViewChange(change string) {
	c.m.view.changes.WithLabelValues(c.name, change).Inc()
}

// View sets the camera's picture mode (vision.ViewDay or ViewIR; "" for
// unknown): its series goes to 1, the other's to 0.
func (c *CameraMetrics) View(view string) {
	for _, m := range knownViews {
		on := 0.0
		if m == view {
			on = 1
		}
		c.m.view.view.WithLabelValues(c.name, m).Set(on)
	}
}

// MotionRestart counts a restart of the motion background for reason (a
// vision.Restart* value).
func (c *CameraMetrics) MotionRestart(reason string) {
	c.m.view.restarts.WithLabelValues(c.name, reason).Inc()
}
