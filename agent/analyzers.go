package agent

import (
	"fmt"
	"strings"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/vision"
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

// BuildAnalyzers maps a camera's config onto its analysis chain, in the
// order they must run: motion (background subtraction, also the source of
// blobs), the object detector, the tracker, lines, zones, tamper. Stages a
// camera does not use are left out: no lines or zones means no detector or
// tracker. snaps, if not nil, is appended last so snapshots see the frame.
// The caller closes the analyzers (CloseAnalyzers).
func BuildAnalyzers(cam config.Camera, snaps *snapshotter) (_ []Analyzer, err error) {
	var out []Analyzer
	defer func() {
		if err != nil {
			CloseAnalyzers(out)
		}
	}()
	needObjects := len(cam.Lines) > 0 || len(cam.Zones) > 0
	var mot *motion.Detector
	if cam.Motion.IsEnabled() || (needObjects && cam.Detector.Type != config.DetectorDNN) {
		mot, err = motion.New(motion.Config{
			Threshold:  cam.Motion.Threshold,
			MinArea:    cam.Motion.MinArea,
			Masks:      points2(cam.Motion.Masks),
			StartAfter: cam.Motion.Debounce,
			EndAfter:   cam.Motion.Hold,
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
		det, err := buildDetector(cam, mot)
		if err != nil {
			return nil, fmt.Errorf("detector: %w", err)
		}
		out = append(out, det)
		tr, err := track.New(track.Config{MinIoU: cam.Tracker.IoU, MaxAge: cam.Tracker.MaxAge, MinHits: cam.Tracker.MinHits})
		if err != nil {
			return nil, fmt.Errorf("tracker: %w", err)
		}
		out = append(out, tr)
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
	if cam.Tamper.Enabled {
		t, err := tamper.New(tamperConfig(cam.Tamper))
		if err != nil {
			return nil, fmt.Errorf("tamper: %w", err)
		}
		out = append(out, t)
	}
	if snaps != nil {
		out = append(out, snaps)
	}
	return out, nil
}

func buildDetector(cam config.Camera, mot *motion.Detector) (Analyzer, error) {
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
		return newDNN(cam)
	}
	return nil, fmt.Errorf("unknown detector type %q", d.Type)
}

// CloseAnalyzers frees the analyzers' native memory.
func CloseAnalyzers(as []Analyzer) {
	for _, a := range as {
		_ = a.Close()
	}
}

// pipelineAnalyzers narrows the chain to what the pipeline calls.
func pipelineAnalyzers(as []Analyzer) []pipeline.Analyzer {
	out := make([]pipeline.Analyzer, len(as))
	for i, a := range as {
		out[i] = a
	}
	return out
}

func points(ps []config.Point) []vision.Point {
	out := make([]vision.Point, len(ps))
	for i, p := range ps {
		out[i] = vision.Point(p)
	}
	return out
}

func points2(pss [][]config.Point) [][]vision.Point {
	if len(pss) == 0 {
		return nil
	}
	out := make([][]vision.Point, len(pss))
	for i, ps := range pss {
		out[i] = points(ps)
	}
	return out
}

func anchor(a string) string {
	if a == config.AnchorCenter {
		return count.AnchorCenter
	}
	return count.AnchorBottom
}

func lineConfigs(ls []config.Line) []count.LineConfig {
	out := make([]count.LineConfig, len(ls))
	for i, l := range ls {
		out[i] = count.LineConfig{
			Name: l.Name, Points: points(l.Points), Anchor: anchor(l.Anchor),
			Classes: l.Classes, Hysteresis: l.Hysteresis,
		}
	}
	return out
}

func zoneConfigs(zs []config.Zone) []count.ZoneConfig {
	out := make([]count.ZoneConfig, len(zs))
	for i, z := range zs {
		out[i] = count.ZoneConfig{
			Name: z.Name, Points: points(z.Points), Classes: z.Classes,
			LoiterAfter: z.LoiterAfter, Armed: strings.Join(z.Intrusion.Schedule, ";"),
		}
	}
	return out
}

func tamperConfig(t config.TamperConfig) tamper.Config {
	c := tamper.Config{VideoLoss: t.VideoLoss, RaiseAfter: t.Hold, ClearAfter: t.Hold}
	if t.DarkLevel > 0 {
		c.CoveredMean = t.DarkLevel
	}
	if t.DefocusDrop > 0 {
		c.DefocusRatio = 1 - t.DefocusDrop
	}
	if t.SceneChange > 0 {
		c.SceneCorrelation = 1 - t.SceneChange
	}
	return c
}
