// Package tamper watches a camera's picture for sabotage and failure: the
// lens covered or the picture blacked out, the lens defocused, the camera
// moved (scene change), and video loss. Each kind raises and clears a
// vision.Event{Type: "tamper", Kind, State} with hold times so a flickering
// condition does not flap.
package tamper

import (
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"gocv.io/x/gocv"
)

// sceneSize is the size at which edges are compared with the reference: a
// coarse view, so people walking by and a defocus barely change it while a
// moved camera does.
var sceneSize = image.Pt(96, 72)

// Detector is the tamper analyzer of one camera. Analyze is called from the
// camera's pipeline goroutine; Tick may be called concurrently from a timer
// (it is what notices video loss, when no frames arrive). Close frees its
// Mats.
type Detector struct {
	cfg Config
	mu  sync.Mutex

	started, lastFrame, recoverSince time.Time
	loss                             hold

	covered, defocus, scene hold
	first, lastAnalysed     time.Time
	baseline                float64
	hasRef                  bool
	// seen: a condition was seen on the last analysed frame (raised or
	// not yet); relearns counts view changes taken.
	seen     bool
	relearns int
	// viewStd is the contrast (grey-level standard deviation) of the view
	// learnt at the last view change, 0 before any; learnView: learn it
	// from the next analysed frame.
	viewStd   float64
	learnView bool
	// Last measurements, for tests and tuning.
	mean, stdDev, sharp, corr float64

	lap, small, gx, gy, mag, ref, res, mu1, sd1, mu2, sd2, noMask gocv.Mat
}

// New validates cfg and returns a Detector. Errors name the field.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg.withDefaults()}
	d.loss.kind = KindVideoLoss
	d.covered.kind = KindCovered
	d.defocus.kind = KindDefocus
	d.scene.kind = KindSceneChange
	for _, m := range []*gocv.Mat{&d.lap, &d.small, &d.gx, &d.gy, &d.mag, &d.ref, &d.res, &d.mu1, &d.sd1, &d.mu2, &d.sd2, &d.noMask} {
		*m = gocv.NewMat()
	}
	return d, nil
}

// Name returns "tamper".
func (d *Detector) Name() string { return "tamper" }

// Close frees the detector's Mats.
func (d *Detector) Close() error {
	for _, m := range []*gocv.Mat{&d.lap, &d.small, &d.gx, &d.gy, &d.mag, &d.ref, &d.res, &d.mu1, &d.sd1, &d.mu2, &d.sd2, &d.noMask} {
		m.Close()
	}
	return nil
}

// Tick notices video loss: call it from a timer (every second or so) with
// the wall clock, since a dead camera sends no frames to Analyze. It
// returns the events raised, usually none. Video loss is also noticed by
// Analyze when frame times jump by more than Config.VideoLoss.
func (d *Detector) Tick(now time.Time) []vision.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.cfg.enabled(KindVideoLoss) {
		return nil
	}
	last := d.lastFrame
	if last.IsZero() {
		if d.started.IsZero() {
			d.started = now
		}
		last = d.started
	}
	if now.Sub(last) < d.cfg.VideoLoss {
		return nil
	}
	d.recoverSince = time.Time{}
	return d.loss.set(now, true, nil)
}

// Analyze judges f, appends tamper events to r.Events and sets
// r.TamperPending. A view change (r.ViewChange, from a ViewWatch earlier
// in the chain) is not tampering: the detector learns the new view
// instead of comparing it with the old one.
func (d *Detector) Analyze(f *frame.Frame, r *vision.Result) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f.Gray.Empty() || f.Gray.Type() != gocv.MatTypeCV8UC1 {
		return fmt.Errorf("tamper: want a non-empty CV_8UC1 frame, got type %v size %v", f.Gray.Type(), f.Gray.Size())
	}
	r.Events = d.videoArrived(f.Time, r.Events)
	if r.ViewChange != "" {
		d.relearn()
		d.lastAnalysed = time.Time{}
	}
	defer func() { r.TamperPending = d.pending() }()
	if !d.lastAnalysed.IsZero() && f.Time.Sub(d.lastAnalysed) < d.cfg.Interval {
		return nil
	}
	dt := f.Time.Sub(d.lastAnalysed)
	if d.lastAnalysed.IsZero() {
		dt = 0
	}
	d.lastAnalysed = f.Time
	r.Events = d.judge(f.Gray, f.Time, dt, r.Events)
	return nil
}

// videoArrived updates the video-loss state for a frame at t.
func (d *Detector) videoArrived(t time.Time, evs []vision.Event) []vision.Event {
	defer func() { d.lastFrame = t }()
	if !d.cfg.enabled(KindVideoLoss) {
		return evs
	}
	if !d.lastFrame.IsZero() && t.Sub(d.lastFrame) >= d.cfg.VideoLoss {
		// A gap in the frame times: the frames after a stall, or a clip
		// with a hole in it.
		evs = d.loss.set(d.lastFrame.Add(d.cfg.VideoLoss), true, evs)
		d.recoverSince = t
		return evs
	}
	if d.loss.raised {
		if d.recoverSince.IsZero() {
			d.recoverSince = t
		}
		if t.Sub(d.recoverSince) >= d.cfg.ClearAfter {
			evs = d.loss.set(t, false, evs)
		}
	}
	return evs
}
