package tamper

import (
	"fmt"
	"image"
	"math"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"gocv.io/x/gocv"
)

// ViewConfig tunes a ViewWatch. The zero value is usable; every field's
// default is in its comment.
type ViewConfig struct {
	// GraySaturation and ColourSaturation bound the picture modes: a
	// picture whose saturation (frame.Frame.Saturation) is at most
	// GraySaturation is black and white (infrared night mode), one at
	// least ColourSaturation is colour; in between the mode holds. They
	// default to 2 and 5 (8-bit chroma levels: vtest is about 17, a
	// camera's night mode 0–1).
	GraySaturation, ColourSaturation float64
	// LightingStep is the relative change of mean brightness within Window
	// frames taken as a change of the whole view when the colour mode
	// stays (lamps switched, a monochrome camera's infrared lamps). It
	// defaults to 0.3; a negative value turns it off.
	LightingStep float64
	// Window is how many frames a switch may take. It defaults to 2.
	Window int
	// Contrast is the least ratio of the picture's standard deviations
	// across a switch: a night picture is darker but keeps most of its
	// contrast, a covered lens loses it. It defaults to 0.25.
	Contrast float64
	// SameView is the least correlation of the picture's coarse edges
	// across a switch for it to be the same view in another light; below
	// it the camera was moved or covered, which is tamper's business. It
	// defaults to 0.5 (a still view scores about 0.8–0.95 against itself
	// in the other mode, a lens covered by a hand about 0).
	SameView float64
	// Settle is how long from a view change lines and zones ignore tracks
	// (vision.Result.Settling) while exposure settles and the motion
	// background is learnt again. It defaults to 3 seconds.
	Settle time.Duration
}

func (c ViewConfig) withDefaults() ViewConfig {
	def(&c.GraySaturation, 2)
	def(&c.ColourSaturation, 5)
	def(&c.LightingStep, 0.3)
	def(&c.Window, 2)
	def(&c.SameView, 0.5)
	def(&c.Contrast, 0.25)
	def(&c.Settle, 3*time.Second)
	return c
}

// Validate reports the first problem with c; the error names the field.
func (c ViewConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case c.GraySaturation < 0 || math.IsNaN(c.GraySaturation):
		return fmt.Errorf("gray_saturation: must not be negative, got %g", c.GraySaturation)
	case d.ColourSaturation <= d.GraySaturation:
		return fmt.Errorf("colour_saturation: must be above gray_saturation (%g), got %g", d.GraySaturation, d.ColourSaturation)
	case math.IsNaN(c.LightingStep):
		return fmt.Errorf("lighting_step: not a number")
	case c.Window < 0 || c.Window > 10:
		return fmt.Errorf("window: must be within 1–10 frames, got %d", c.Window)
	case c.SameView < 0 || c.SameView >= 1 || math.IsNaN(c.SameView):
		return fmt.Errorf("same_view: must be within 0–1, got %g", c.SameView)
	case c.Contrast < 0 || c.Contrast >= 1 || math.IsNaN(c.Contrast):
		return fmt.Errorf("contrast: must be within 0–1, got %g", c.Contrast)
	case c.Settle < 0:
		return fmt.Errorf("settle: must not be negative, got %v", c.Settle)
	}
	return nil
}

// viewScale is how much smaller than the analysed picture the watcher's
// view is.
const viewScale = 8

// minContrast is the standard deviation (gray levels) below which a
// picture is flat whatever it was before: a covered lens, not a view.
const minContrast = 4

// viewSample is what the watcher keeps of one recent frame.
type viewSample struct {
	small         gocv.Mat // the picture at an eighth of its size (viewScale)
	mean, sd, sat float64
}

// ViewWatch notices a change of the whole view: a camera switching to or
// from its infrared night mode (the colour goes within a frame or two,
// usually with a step in brightness and noise) or the lighting of the
// whole scene stepping, while the view itself stays. It sets
// vision.Result.View on every frame and ViewChange and Settling when the
// view changed, so the analyzers after it start afresh instead of seeing
// motion or tampering. Run it first in a camera's chain. It is used from
// one goroutine; Close frees its Mats.
type ViewWatch struct {
	cfg         ViewConfig
	recent      []viewSample // the last Window frames, oldest first
	spare       viewSample   // the current frame's sample
	gx, gy      gocv.Mat
	ea, eb, res gocv.Mat
	mu, sd      gocv.Mat
	noMask      gocv.Mat

	mode        string
	settleUntil time.Time
	// Last figures, for tests, logs and tuning.
	lastCorr, lastStep float64
}

// NewViewWatch validates cfg and returns a ViewWatch.
func NewViewWatch(cfg ViewConfig) (*ViewWatch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &ViewWatch{cfg: cfg.withDefaults()}
	w.spare.small = gocv.NewMat()
	for _, m := range []*gocv.Mat{&w.gx, &w.gy, &w.ea, &w.eb, &w.res, &w.mu, &w.sd, &w.noMask} {
		*m = gocv.NewMat()
	}
	return w, nil
}

// Name returns "view".
func (w *ViewWatch) Name() string { return "view" }

// Close frees the watcher's Mats.
func (w *ViewWatch) Close() error {
	for i := range w.recent {
		w.recent[i].small.Close()
	}
	w.recent = nil
	for _, m := range []*gocv.Mat{&w.spare.small, &w.gx, &w.gy, &w.ea, &w.eb, &w.res, &w.mu, &w.sd, &w.noMask} {
		m.Close()
	}
	return nil
}

// Analyze looks at f and sets r.View, r.ViewChange and r.Settling.
func (w *ViewWatch) Analyze(f *frame.Frame, r *vision.Result) error {
	if f.Gray.Empty() || f.Gray.Type() != gocv.MatTypeCV8UC1 {
		return fmt.Errorf("view: want a non-empty CV_8UC1 frame, got type %v size %v", f.Gray.Type(), f.Gray.Size())
	}
	cur := &w.spare
	// An eighth of the picture each way: INTER_AREA's fast path (whole
	// blocks), and as coarse a view as tamper's scene comparison.
	small := image.Pt(max(8, f.Gray.Cols()/viewScale), max(8, f.Gray.Rows()/viewScale))
	if len(w.recent) > 0 && (w.recent[0].small.Cols() != small.X || w.recent[0].small.Rows() != small.Y) {
		w.reset() // another analysis size: nothing to compare with
	}
	gocv.Resize(f.Gray, &cur.small, small, 0, 0, gocv.InterpolationArea)
	gocv.MeanStdDev(cur.small, &w.mu, &w.sd)
	cur.mean, cur.sd, cur.sat = w.mu.GetDoubleAt(0, 0), w.sd.GetDoubleAt(0, 0), f.Saturation
	settling := f.Time.Before(w.settleUntil)
	if change := w.changed(cur, settling); change != "" {
		r.ViewChange = change
		w.settleUntil = f.Time.Add(w.cfg.Settle)
		settling = true
		// Frames before the switch say nothing about the new view.
		w.reset()
	}
	w.mode = w.modeOf(cur.sat, w.mode)
	r.View, r.Settling = w.mode, settling
	w.push()
	return nil
}

// reset forgets the recent frames.
func (w *ViewWatch) reset() {
	for i := range w.recent {
		w.recent[i].small.Close()
	}
	w.recent = w.recent[:0]
}

// changed compares the current sample with the recent ones and names the
// kind of view change, or "".
func (w *ViewWatch) changed(cur *viewSample, settling bool) string {
	for i := range w.recent {
		old := &w.recent[i]
		kind := ""
		switch {
		case old.sat >= w.cfg.ColourSaturation && cur.sat >= 0 && cur.sat <= w.cfg.GraySaturation:
			kind = vision.ViewChangeToIR
		case old.sat >= 0 && old.sat <= w.cfg.GraySaturation && cur.sat >= w.cfg.ColourSaturation:
			kind = vision.ViewChangeToDay
		case w.cfg.LightingStep > 0 && !settling:
			w.lastStep = math.Abs(cur.mean-old.mean) / math.Max(old.mean, 16)
			if w.lastStep >= w.cfg.LightingStep {
				kind = vision.ViewChangeLighting
			}
		}
		if kind == "" || min(cur.sd, old.sd) < max(w.cfg.Contrast*max(cur.sd, old.sd), minContrast) {
			// A picture without contrast on either side is a covered
			// lens (or its uncovering), not the same view in new light.
			continue
		}
		w.lastCorr = w.correlate(old.small, cur.small)
		if w.lastCorr >= w.cfg.SameView {
			return kind
		}
	}
	return ""
}

// modeOf is the picture mode for saturation sat, holding last between
// the bands.
func (w *ViewWatch) modeOf(sat float64, last string) string {
	switch {
	case sat < 0:
		return ""
	case sat <= w.cfg.GraySaturation:
		return vision.ViewIR
	case sat >= w.cfg.ColourSaturation:
		return vision.ViewDay
	}
	return last
}

// push keeps the current sample among the recent ones, dropping the
// oldest beyond Window; the dropped sample's Mat is the next spare.
func (w *ViewWatch) push() {
	if len(w.recent) < w.cfg.Window {
		w.recent = append(w.recent, w.spare)
		w.spare = viewSample{small: gocv.NewMat()}
		return
	}
	oldest := w.recent[0].small
	copy(w.recent, w.recent[1:])
	w.recent[len(w.recent)-1] = w.spare
	w.spare = viewSample{small: oldest}
}

// correlate is the normalised correlation of the edge magnitudes of a and
// b (same size): 1 for the same view, whatever its brightness.
func (w *ViewWatch) correlate(a, b gocv.Mat) float64 {
	edges(a, &w.gx, &w.gy, &w.ea)
	edges(b, &w.gx, &w.gy, &w.eb)
	gocv.MatchTemplate(w.ea, w.eb, &w.res, gocv.TmCcoeffNormed, w.noMask)
	return float64(w.res.GetFloatAt(0, 0))
}

// edges is the Sobel gradient magnitude of src (CV_32F) in dst, using gx
// and gy as scratch.
func edges(src gocv.Mat, gx, gy, dst *gocv.Mat) {
	gocv.Sobel(src, gx, gocv.MatTypeCV32F, 1, 0, 3, 1, 0, gocv.BorderReplicate)
	gocv.Sobel(src, gy, gocv.MatTypeCV32F, 0, 1, 3, 1, 0, gocv.BorderReplicate)
	gocv.Magnitude(*gx, *gy, dst)
}
