// Package motion detects motion in a camera's gray frames by background
// subtraction, with a minimum area, ignore masks and debounce, and reports
// motion start and end events.
package motion

import (
	"fmt"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/fgmask"
	"gocv.io/x/gocv"
)

// Config tunes a Detector. The zero value is usable.
type Config struct {
	// Threshold is the background model's sensitivity: MOG2's squared
	// Mahalanobis distance above which a pixel differs from the background.
	// Lower is more sensitive. It defaults to 40 (OpenCV's 16 turns the
	// shadows and reflections of a real scene into foreground and merges
	// people walking together; see docs/accuracy.md).
	Threshold float64
	// History is how many frames the background model remembers. It
	// defaults to 500.
	History int
	// MinArea is the smallest moving region, as a fraction of the frame
	// area, that counts as motion. It defaults to 0.002.
	MinArea float64
	// Masks are normalised polygons (at least 3 points, coordinates 0–1)
	// where motion is ignored.
	Masks [][]vision.Point
	// StartAfter is how long motion must be present, frame after frame,
	// before a "start" event. It defaults to 0.5 seconds; a negative value
	// starts on the first frame with motion.
	StartAfter time.Duration
	// EndAfter is how long motion must be absent before an "end" event. It
	// defaults to 2 seconds; a negative value ends on the first still frame.
	EndAfter time.Duration
	// Silent keeps the detector from reporting: r.Motion, r.MotionArea and
	// r.Events are left alone. Use it when motion is off for a camera but
	// its foreground still feeds the blob or HOG detector.
	Silent bool
	// Width, when smaller than the frame's, is the width the frame is
	// shrunk to before background subtraction (cheaper in proportion to
	// the pixels); blobs stay normalised and Px in the frame's pixels, the
	// foreground mask is at the shrunk size. 0 keeps the frame's size.
	Width int
	// Warmup is how many frames are only learnt, never reported, after the
	// start or a change of frame size. It defaults to 10.
	Warmup int
}

// Blob is one connected moving region of a frame: its normalised box, its
// normalised area, and its box in pixels of the analysed frame.
type Blob = fgmask.Blob

// Detector is the motion analyzer of one camera. It is called from one
// goroutine; Close frees its native memory.
type Detector struct {
	cfg  Config
	sub  *fgmask.Subtractor
	last time.Time // time of the frame the mask and blobs belong to
	ok   bool      // last Analyze succeeded
	warm bool      // past the warm-up frames

	active   bool
	since    time.Time // first frame of the current run of motion frames
	lastSeen time.Time // last frame with motion
}

// New checks cfg and returns a Detector. Errors name the offending field.
func New(cfg Config) (*Detector, error) {
	switch {
	case cfg.MinArea < 0 || cfg.MinArea >= 1:
		return nil, fmt.Errorf("motion: min_area: must be in [0, 1), got %g", cfg.MinArea)
	case cfg.Warmup < 0:
		return nil, fmt.Errorf("motion: warmup: must not be negative, got %d", cfg.Warmup)
	}
	sub, err := fgmask.New(fgmask.Config{VarThreshold: cfg.Threshold, History: cfg.History, Masks: cfg.Masks, Width: cfg.Width})
	if err != nil {
		return nil, fmt.Errorf("motion: %w", err)
	}
	if cfg.MinArea == 0 {
		cfg.MinArea = 0.002
	}
	if cfg.StartAfter == 0 {
		cfg.StartAfter = 500 * time.Millisecond
	}
	if cfg.EndAfter == 0 {
		cfg.EndAfter = 2 * time.Second
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 10
	}
	return &Detector{cfg: cfg, sub: sub}, nil
}

// Name is the analyzer's name in metrics and logs.
func (d *Detector) Name() string { return "motion" }

// Analyze updates the background model with f.Gray, sets r.Motion (the
// debounced state) and r.MotionArea (the moving area of this frame, counting
// regions of at least MinArea), and appends a motion event on each debounced
// transition. On a view change (r.ViewChange, set by the view watcher
// earlier in the chain) the background model starts again from f, with
// its warm-up; r.MotionRestart says when and why the model restarted.
func (d *Detector) Analyze(f *frame.Frame, r *vision.Result) error {
	d.ok = false
	if r.ViewChange != "" {
		d.sub.Restart()
		r.MotionRestart = vision.RestartViewChange
	}
	globals := d.sub.GlobalChanges()
	if err := d.sub.Apply(f.Gray); err != nil {
		return fmt.Errorf("motion: %w", err)
	}
	if d.sub.GlobalChanges() != globals {
		r.MotionRestart = vision.RestartGlobalChange
	}
	d.last, d.ok = f.Time, true
	d.warm = d.sub.Frames() > d.cfg.Warmup
	if d.cfg.Silent {
		return nil
	}
	if !d.warm {
		d.since = time.Time{}
		r.Motion = d.active
		return nil
	}
	area := 0.0
	for _, b := range d.sub.Blobs() {
		if b.Area >= d.cfg.MinArea {
			area += b.Area
		}
	}
	r.MotionArea = area
	t := f.Time
	if area > 0 {
		if d.since.IsZero() {
			d.since = t
		}
		d.lastSeen = t
		if !d.active && t.Sub(d.since) >= d.cfg.StartAfter {
			d.active = true
			r.Events = append(r.Events, vision.Event{Type: vision.EventMotion, State: "start", Time: t, Area: area})
		}
	} else {
		d.since = time.Time{}
		if d.active && t.Sub(d.lastSeen) >= d.cfg.EndAfter {
			d.active = false
			r.Events = append(r.Events, vision.Event{Type: vision.EventMotion, State: "end", Time: t})
		}
	}
	r.Motion = d.active
	return nil
}

// Warm reports whether the background model is past its warm-up (after
// the start or a restart): before, Blobs returns nothing even when things
// move, and a detector fed by motion must look at the frame otherwise.
func (d *Detector) Warm() bool { return d.warm }

// Active reports whether motion is on (after debounce).
func (d *Detector) Active() bool { return d.active }

// Foreground returns the cleaned foreground mask (CV_8UC1, 255 = moving)
// of the frame captured at t, if that is the last frame analysed. The Mat
// belongs to the Detector: do not close it or keep it past the next
// Analyze. Masks are already applied.
func (d *Detector) Foreground(t time.Time) (gocv.Mat, bool) {
	return d.sub.Mask(), d.ok && d.last.Equal(t)
}

// Blobs returns the moving regions (any size above a small noise floor,
// masks applied) of the frame captured at t, if that is the last frame
// analysed. During warm-up it returns no blobs. The slice is reused by the
// next Analyze.
func (d *Detector) Blobs(t time.Time) ([]Blob, bool) {
	if !d.ok || !d.last.Equal(t) {
		return nil, false
	}
	if !d.warm {
		return nil, true
	}
	return d.sub.Blobs(), true
}

// Close frees the native memory.
func (d *Detector) Close() error { return d.sub.Close() }
