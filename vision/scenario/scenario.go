// Package scenario composes synthetic test clips with exact ground truth: a
// real background (the median of vtest frames), textured person-sized
// objects walking scripted paths, and picture effects (a lighting change,
// the lens covered, a defocus). Truth derives the events the analytics
// should report from the same script, and Write encodes the clip to H.264
// with ffmpeg.
package scenario

import (
	"fmt"
	"math"
	"time"

	"github.com/pantau/pantau/vision"
)

// Waypoint is where an object's anchor (the bottom-centre of its box, where
// feet touch the ground) is at time T, in seconds from the clip start.
// Between waypoints the object moves in a straight line at constant speed;
// two waypoints at the same place make it stand still.
type Waypoint struct {
	T    float64
	X, Y float64
}

// Object is something that walks through the scene. It is drawn as a
// textured dark ellipse W×H (normalised) whose bottom-centre follows Path,
// from the first waypoint's time to the last one's.
type Object struct {
	Name string
	W, H float64
	// Shade is the mean grey level (0–255). It defaults to 50.
	Shade float64
	// Sway, in normalised units, wobbles the drawn object sideways every
	// frame (alternating ±Sway) without moving its true path: detector
	// jitter for an object standing on a line.
	Sway float64
	Path []Waypoint
}

// At returns the object's anchor at time t and whether it is in the clip
// then.
func (o Object) At(t float64) (vision.Point, bool) {
	p := o.Path
	if len(p) == 0 || t < p[0].T || t > p[len(p)-1].T {
		return vision.Point{}, false
	}
	for i := 0; i+1 < len(p); i++ {
		a, b := p[i], p[i+1]
		if t > b.T {
			continue
		}
		f := 0.0
		if b.T > a.T {
			f = (t - a.T) / (b.T - a.T)
		}
		return vision.Point{X: a.X + (b.X-a.X)*f, Y: a.Y + (b.Y-a.Y)*f}, true
	}
	last := p[len(p)-1]
	return vision.Point{X: last.X, Y: last.Y}, true
}

// Effect kinds.
const (
	// EffectLight multiplies the picture's brightness by Amount, ramping
	// in linearly over the first Ramp seconds and staying until To.
	EffectLight = "light"
	// EffectCover makes the picture nearly black with sensor noise: a
	// hand over the lens.
	EffectCover = "cover"
	// EffectBlur blurs the picture with a Gaussian of sigma Amount
	// (pixels at the clip's size): the lens defocused.
	EffectBlur = "blur"
)

// Effect changes the whole picture from From to To seconds.
type Effect struct {
	Kind     string
	From, To float64
	Amount   float64
	Ramp     float64
}

// Scenario is a whole clip's script.
type Scenario struct {
	// Width and Height are the clip size in pixels (even numbers).
	Width, Height int
	// FPS is the frame rate.
	FPS float64
	// Duration is the clip length in seconds.
	Duration float64
	// Noise is the standard deviation of the sensor noise added to every
	// frame, in grey levels.
	Noise   float64
	Objects []Object
	Effects []Effect
	// Seed makes textures and noise reproducible.
	Seed uint64
	// Start is the wall-clock time of the first frame, for intrusion
	// schedules in the truth. It defaults to the Unix epoch (UTC), the
	// time `pantau eval` gives a clip's first frame unless told --start.
	Start time.Time
}

// start returns s.Start or its default.
func (s Scenario) start() time.Time {
	if s.Start.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return s.Start
}

// Frames is how many frames the clip has.
func (s Scenario) Frames() int { return int(math.Round(s.Duration * s.FPS)) }

// Validate checks the script.
func (s Scenario) Validate() error {
	if s.Width <= 0 || s.Height <= 0 || s.Width%2 != 0 || s.Height%2 != 0 {
		return fmt.Errorf("scenario: size %dx%d: want positive even numbers", s.Width, s.Height)
	}
	if s.FPS <= 0 || s.Duration <= 0 {
		return fmt.Errorf("scenario: fps %g and duration %g must be positive", s.FPS, s.Duration)
	}
	for i, o := range s.Objects {
		if len(o.Path) < 2 || o.W <= 0 || o.H <= 0 {
			return fmt.Errorf("scenario: objects[%d] %q: need a size and at least 2 waypoints", i, o.Name)
		}
		for j := 1; j < len(o.Path); j++ {
			if o.Path[j].T < o.Path[j-1].T {
				return fmt.Errorf("scenario: objects[%d] %q: waypoint %d goes back in time", i, o.Name, j)
			}
		}
	}
	for i, e := range s.Effects {
		switch e.Kind {
		case EffectLight, EffectCover, EffectBlur:
		default:
			return fmt.Errorf("scenario: effects[%d]: unknown kind %q", i, e.Kind)
		}
		if e.To <= e.From {
			return fmt.Errorf("scenario: effects[%d]: to %g is not after from %g", i, e.To, e.From)
		}
	}
	return nil
}
