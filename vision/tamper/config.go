package tamper

import (
	"fmt"
	"math"
	"time"
)

// Tamper kinds, as they appear in Event.Kind.
const (
	KindCovered     = "covered"
	KindDefocus     = "defocus"
	KindSceneChange = "scene_change"
	KindVideoLoss   = "video_loss"
)

// Event states, as they appear in Event.State.
const (
	StateRaised  = "raised"
	StateCleared = "cleared"
)

// Config tunes a Detector. The zero value is usable; every field's default
// is in its comment.
type Config struct {
	// CoveredMean and CoveredStdDev: the picture counts as covered (lens
	// covered, blacked out) when its grey-level mean is below CoveredMean
	// and its standard deviation below CoveredStdDev. They default to 50
	// and 12 (grey levels, 0–255).
	CoveredMean, CoveredStdDev float64
	// FlatStdDev: a picture whose standard deviation is below it counts as
	// covered at any brightness (a white card, a sprayed lens). It
	// defaults to 4.
	FlatStdDev float64
	// DefocusRatio: defocus when the sharpness (standard deviation of the
	// Laplacian over that of the picture, so lighting does not change it)
	// falls below this fraction of the learned baseline. It defaults to
	// 0.5.
	DefocusRatio float64
	// SceneCorrelation: scene change (camera moved or turned) when the
	// correlation of the picture's edges with the reference view falls
	// below it. It defaults to 0.6 (a still view scores about 0.8–0.9 against
	// its reference, a view shifted by 5 % of its width below 0.5).
	SceneCorrelation float64
	// VideoLoss: video loss when no frame arrived for this long. It
	// defaults to 5 seconds.
	VideoLoss time.Duration
	// RaiseAfter is how long a condition must hold before it is raised,
	// and ClearAfter how long it must be absent before it is cleared, so
	// events do not flap. They default to 2 and 3 seconds.
	RaiseAfter, ClearAfter time.Duration
	// Learn is how long the detector watches before it judges defocus and
	// scene change (it learns the sharpness baseline and the reference
	// view meanwhile). It defaults to 5 seconds.
	Learn time.Duration
	// Adapt is the time constant with which the baseline and the reference
	// follow slow changes (daylight, parked cars). It defaults to 60
	// seconds.
	Adapt time.Duration
	// Relearn: a scene change still raised after this long is taken as
	// the camera's new view: the reference and baseline are learned again
	// and the event clears. It defaults to 60 seconds.
	Relearn time.Duration
	// Interval is the least time between two analysed frames; frames in
	// between only count as "video arriving". It defaults to 200 ms.
	Interval time.Duration
	// Disable turns kinds off (Kind* constants).
	Disable []string
}

func (c Config) withDefaults() Config {
	def(&c.CoveredMean, 50)
	def(&c.CoveredStdDev, 12)
	def(&c.FlatStdDev, 4)
	def(&c.DefocusRatio, 0.5)
	def(&c.SceneCorrelation, 0.6)
	def(&c.VideoLoss, 5*time.Second)
	def(&c.RaiseAfter, 2*time.Second)
	def(&c.ClearAfter, 3*time.Second)
	def(&c.Learn, 5*time.Second)
	def(&c.Adapt, 60*time.Second)
	def(&c.Relearn, 60*time.Second)
	def(&c.Interval, 200*time.Millisecond)
	return c
}

// def sets *v to d when it is the zero value (a setting left out).
func def[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate reports the first problem with c; the error names the field.
func (c Config) Validate() error {
	levels := []struct {
		name string
		v    float64
	}{{"covered_mean", c.CoveredMean}, {"covered_stddev", c.CoveredStdDev}, {"flat_stddev", c.FlatStdDev}}
	for _, l := range levels {
		if math.IsNaN(l.v) || l.v < 0 || l.v > 255 {
			return fmt.Errorf("%s: must be within 0–255, got %g", l.name, l.v)
		}
	}
	ratios := []struct {
		name string
		v    float64
	}{{"defocus_ratio", c.DefocusRatio}, {"scene_correlation", c.SceneCorrelation}}
	for _, r := range ratios {
		if math.IsNaN(r.v) || r.v < 0 || r.v >= 1 {
			return fmt.Errorf("%s: must be within 0–1, got %g", r.name, r.v)
		}
	}
	durs := []struct {
		name string
		v    time.Duration
	}{{"video_loss", c.VideoLoss}, {"raise_after", c.RaiseAfter}, {"clear_after", c.ClearAfter},
		{"learn", c.Learn}, {"adapt", c.Adapt}, {"relearn", c.Relearn}, {"interval", c.Interval}}
	for _, d := range durs {
		if d.v < 0 {
			return fmt.Errorf("%s: must not be negative, got %v", d.name, d.v)
		}
	}
	for i, k := range c.Disable {
		switch k {
		case KindCovered, KindDefocus, KindSceneChange, KindVideoLoss:
		default:
			return fmt.Errorf("disable[%d]: unknown kind %q (want %s, %s, %s or %s)", i, k,
				KindCovered, KindDefocus, KindSceneChange, KindVideoLoss)
		}
	}
	return nil
}

func (c Config) enabled(kind string) bool {
	for _, k := range c.Disable {
		if k == kind {
			return false
		}
	}
	return true
}
