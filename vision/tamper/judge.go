package tamper

import (
	"math"
	"time"

	"github.com/pantau/pantau/vision"
	"gocv.io/x/gocv"
)

// judge measures gray and updates the covered, defocus and scene-change
// states. dt is the time since the last analysed frame.
func (d *Detector) judge(gray gocv.Mat, t time.Time, dt time.Duration, evs []vision.Event) []vision.Event {
	c := &d.cfg
	gocv.MeanStdDev(gray, &d.mu1, &d.sd1)
	d.mean, d.stdDev = d.mu1.GetDoubleAt(0, 0), d.sd1.GetDoubleAt(0, 0)
	if d.learnView {
		// The view watcher saw contrast on both sides of the switch: this
		// frame's contrast is the new view's.
		d.viewStd, d.learnView = d.stdDev, false
	}
	isCovered := d.stdDev < c.FlatStdDev || (d.mean < c.CoveredMean && d.stdDev < c.CoveredStdDev &&
		// After a view change a dark, flat night view is that view, not a
		// cover: covered is then judged against its own contrast.
		(d.viewStd == 0 || d.stdDev < coverContrast*d.viewStd))
	d.seen = isCovered && c.enabled(KindCovered)
	if c.enabled(KindCovered) {
		evs = d.covered.update(t, isCovered, c.RaiseAfter, c.ClearAfter, evs)
	}
	if isCovered || d.covered.raised {
		// A covered picture has no sharpness nor edges to compare; the
		// other judgements wait until it is uncovered.
		return evs
	}

	gocv.Laplacian(gray, &d.lap, gocv.MatTypeCV16S, 3, 1, 0, gocv.BorderReplicate)
	gocv.MeanStdDev(d.lap, &d.mu2, &d.sd2)
	d.sharp = d.sd2.GetDoubleAt(0, 0) / math.Max(d.stdDev, 1)

	gocv.Resize(gray, &d.small, sceneSize, 0, 0, gocv.InterpolationArea)
	edges(d.small, &d.gx, &d.gy, &d.mag)
	if !d.hasRef {
		d.mag.CopyTo(&d.ref)
		d.hasRef, d.first, d.baseline = true, t, d.sharp
	}
	gocv.MatchTemplate(d.mag, d.ref, &d.res, gocv.TmCcoeffNormed, d.noMask)
	d.corr = float64(d.res.GetFloatAt(0, 0))

	if t.Sub(d.first) < c.Learn {
		// Learning: a running mean of the sharpness, and the reference
		// follows the picture closely.
		d.adapt(0.2)
		return evs
	}
	isDefocus := d.sharp < c.DefocusRatio*d.baseline
	isMoved := d.corr < c.SceneCorrelation
	d.seen = (isDefocus && c.enabled(KindDefocus)) || (isMoved && c.enabled(KindSceneChange))
	if c.enabled(KindDefocus) {
		evs = d.defocus.update(t, isDefocus, c.RaiseAfter, c.ClearAfter, evs)
	}
	if c.enabled(KindSceneChange) {
		evs = d.scene.update(t, isMoved, c.RaiseAfter, c.ClearAfter, evs)
		if d.scene.raised && isMoved && t.Sub(d.scene.at) >= c.Relearn {
			// The camera stays where it was moved to: this is its view now.
			d.mag.CopyTo(&d.ref)
			d.baseline = d.sharp
			d.corr = 1
		}
	}
	if !isDefocus && !isMoved && !d.defocus.raised && !d.scene.raised {
		d.adapt(math.Min(1, float64(dt)/float64(c.Adapt)))
	}
	return evs
}

// coverContrast: after a view change, a picture is covered only when its
// contrast falls below this share of the view's (a cover leaves a few grey
// levels of noise; an infrared night view keeps its edges).
const coverContrast = 0.4

// relearn forgets the view: the next analysed frame is the new reference
// and the sharpness baseline is learnt again for Learn, as at the start.
// Conditions waiting to be raised are dropped; raised ones are judged
// against the new view once it is learnt (and clear if it is fine).
func (d *Detector) relearn() {
	d.hasRef, d.seen, d.learnView = false, false, true
	d.relearns++
	for _, h := range []*hold{&d.covered, &d.defocus, &d.scene} {
		if !h.raised {
			h.pending = false
		}
	}
}

// pending reports whether a tamper condition (not video loss) is seen now
// or raised.
func (d *Detector) pending() bool {
	return d.seen || d.covered.raised || d.defocus.raised || d.scene.raised
}

// adapt moves the baseline and the reference a fraction a towards the
// current picture.
func (d *Detector) adapt(a float64) {
	d.baseline += a * (d.sharp - d.baseline)
	if d.viewStd > 0 {
		d.viewStd += a * (d.stdDev - d.viewStd)
	}
	gocv.AddWeighted(d.ref, 1-a, d.mag, a, 0, &d.ref)
}
