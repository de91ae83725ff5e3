// Package analysis builds a camera's analysis chain from its config:
// motion, the object detector, the tracker, lines, zones and tamper, in the
// order they must run. Package agent only wires the chain into a camera's
// pipeline; `pantau check` and `pantau eval` build the same chain through
// this package without the agent's runtime.
package analysis

import (
	"fmt"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/detpool"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/vision/count"
	"github.com/pantau/pantau/vision/detect"
	"github.com/pantau/pantau/vision/motion"
	"github.com/pantau/pantau/vision/tamper"
	"github.com/pantau/pantau/vision/track"
)

// Analyzer is one analysis stage with native memory to free.
type Analyzer interface {
	pipeline.Analyzer
	Close() error
}

// Options are what Build takes besides the camera's config. The zero value
// builds the chain alone.
type Options struct {
	// Last, if not nil, is appended after every other analyzer (the
	// snapshotter, so it sees the frame once the rest is done). Build does
	// not own it: Close closes it like the others, so give each chain its
	// own or one whose Close is harmless.
	Last Analyzer
	// Pool is the agent's shared detector, used by cameras whose detector
	// is dnn without a model of their own. Nil runs such a camera's
	// detector inline, on its own instance of Model.
	Pool *detpool.Pool
	// Model is the shared model's file (top-level detector.model), loaded
	// when Pool is nil.
	Model string
	// PoolMetrics receives the inline detector's figures; nil discards
	// them.
	PoolMetrics detpool.Metrics
	// Engine runs the dnn models Build loads: the inline shared model
	// and a camera's own (top-level detector.engine). Empty means auto.
	Engine string
}

// Build maps a camera's config onto its analysis chain, in the
// order they must run: the view watcher (a switch to or from infrared
// restarts what follows), tamper (zones ignore tracks while a condition
// is pending), motion (background subtraction, also the source of
// blobs), the object detector, the tracker, lines, zones. Stages a
// camera does not use are left out: no lines or zones means no detector or
// tracker. The caller closes the analyzers (Close).
func Build(cam config.Camera, opt Options) (_ []Analyzer, err error) {
	var out []Analyzer
	defer func() {
		if err != nil {
			Close(out)
		}
	}()
	needObjects := len(cam.Lines) > 0 || len(cam.Zones) > 0
	var mot *motion.Detector
	ownDNN := cam.Detector.Type == config.DetectorDNN && cam.Detector.Model != ""
	if cam.Motion.IsEnabled() || needObjects || cam.Tamper.Enabled {
		v, err := tamper.NewViewWatch(tamper.ViewConfig{})
		if err != nil {
			return nil, fmt.Errorf("view: %w", err)
		}
		out = append(out, v)
	}
	if cam.Tamper.Enabled {
		t, err := tamper.New(tamperConfig(cam.Tamper))
		if err != nil {
			return nil, fmt.Errorf("tamper: %w", err)
		}
		out = append(out, t)
	}
	if cam.Motion.IsEnabled() || (needObjects && !ownDNN) {
		mot, err = motion.New(motion.Config{
			Threshold:  cam.Motion.Threshold,
			MinArea:    cam.Motion.MinArea,
			Masks:      points2(cam.Motion.Masks),
			StartAfter: cam.Motion.Debounce,
			EndAfter:   cam.Motion.Hold,
			Width:      cam.Motion.Width,
			// Motion turned off but blobs needed: subtract the background,
			// report no motion.
			Silent: !cam.Motion.IsEnabled(),
		})
		if err != nil {
			return nil, fmt.Errorf("motion: %w", err)
		}
		out = append(out, mot)
	}
	if needObjects {
		det, err := buildDetector(cam, mot, opt)
		if err != nil {
			return nil, fmt.Errorf("detector: %w", err)
		}
		out = append(out, det)
		tc := track.Config{MinIoU: cam.Tracker.IoU, MaxAge: cam.Tracker.MaxAge, MinHits: cam.Tracker.MinHits}
		switch cam.Detector.Type {
		case config.DetectorHOG:
			// HOG's boxes are its fixed window at the pyramid's scales:
			// their height jumps from frame to frame and tells little
			// about identity (docs/accuracy.md, section 2).
			tc.MaxResize = -1
		case config.DetectorBlob:
			// A blob is there whenever something moves: one that
			// vanishes for a frame is flicker (right after the
			// background restarts, say), not a walker the detector
			// missed, so a tentative blob track ends at its first miss.
			tc.TentativeAge = -1
		}
		tr, err := track.New(tc)
		if err != nil {
			return nil, fmt.Errorf("tracker: %w", err)
		}
		out = append(out, tr)
		if c, ok := det.(*detpool.Client); ok {
			c.UseTracks(tr)
		}
	}
	if len(cam.Lines) > 0 {
		l, err := count.NewLines(lineConfigs(cam.Lines))
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if len(cam.Zones) > 0 {
		z, err := count.NewZones(zoneConfigs(cam.Zones))
		if err != nil {
			return nil, err
		}
		out = append(out, z)
	}
	if opt.Last != nil {
		out = append(out, opt.Last)
	}
	return out, nil
}

func buildDetector(cam config.Camera, mot *motion.Detector, opt Options) (Analyzer, error) {
	d := cam.Detector
	var src detect.BlobSource
	if mot != nil {
		src = mot
	}
	switch d.Type {
	case "", config.DetectorBlob:
		return detect.NewBlobDetector(detect.BlobConfig{
			MinSize: d.MinArea, MaxSize: d.MaxArea, Masks: points2(cam.Motion.Masks),
		}, src)
	case config.DetectorHOG:
		return detect.NewHOG(detect.HOGConfig{Budget: d.Budget, Masks: points2(cam.Motion.Masks)}, src)
	case config.DetectorDNN:
		if d.Model == "" {
			return poolClient(cam, mot, opt)
		}
		return newDNN(cam, opt.Engine)
	}
	return nil, fmt.Errorf("unknown detector type %q", d.Type)
}

// Close frees the analyzers' native memory.
func Close(as []Analyzer) {
	for _, a := range as {
		_ = a.Close()
	}
}

// Pipeline narrows the chain to what the pipeline calls.
func Pipeline(as []Analyzer) []pipeline.Analyzer {
	out := make([]pipeline.Analyzer, len(as))
	for i, a := range as {
		out[i] = a
	}
	return out
}
