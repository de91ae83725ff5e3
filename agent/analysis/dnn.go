package analysis

import (
	"fmt"
	"path/filepath"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/detpool"
	"github.com/pantau/pantau/vision/detect"
	"github.com/pantau/pantau/vision/motion"
)

// poolConfidence is the score the shared model reports down to; each
// camera then keeps what reaches its own detector.confidence.
const poolConfidence = 0.3

func init() {
	// Frames whose output is NaN, empty or ill-shaped are counted apart
	// from other failures.
	detpool.ErrBadOutput = detect.ErrBadOutput
}

// modelConfig reads model's entry in a manifest.json: the one in
// modelsDir when the model is given by name, else the one beside the
// model file. The manifest gives the checksum the file must match (a model
// that does not match is not loaded) and how to run it.
func modelConfig(model, modelsDir string) (detect.DNNConfig, error) {
	name := model
	manifestPath := filepath.Join(modelsDir, "manifest.json")
	if !config.IsModelName(model) {
		manifestPath = filepath.Join(filepath.Dir(model), "manifest.json")
		name = ""
	}
	m, err := detect.ReadManifest(manifestPath)
	if err != nil {
		return detect.DNNConfig{}, fmt.Errorf("dnn: %s must be listed, with its sha256, in %s (see models/README.md): %w", model, manifestPath, err)
	}
	if name == "" {
		for _, mi := range m.Models {
			if mi.File == filepath.Base(model) {
				name = mi.Name
			}
		}
	}
	if name == "" {
		return detect.DNNConfig{}, fmt.Errorf("dnn: %s is not listed in %s; add it with its sha256 (see models/README.md)", filepath.Base(model), manifestPath)
	}
	c, err := m.DNNConfig(name)
	if err != nil {
		return detect.DNNConfig{}, fmt.Errorf("dnn: %w", err)
	}
	return c, nil
}

// newDNN loads a camera's own model, run in its analyzer goroutine on
// engine (detector.engine); the camera's config overrides the thresholds
// and the classes kept.
func newDNN(cam config.Camera, engine string) (Analyzer, error) {
	d := cam.Detector
	c, err := modelConfig(d.Model, d.ModelsDir)
	if err != nil {
		return nil, err
	}
	if d.ClassesFile != "" {
		c.Classes, c.ClassesFile = nil, d.ClassesFile
	}
	if d.InputSize > 0 && c.Anchors != "" && (d.InputSize != c.InputWidth || d.InputSize != c.InputHeight) {
		return nil, fmt.Errorf("dnn: detector.input_size: model %s takes only %d×%d (its anchors are made for it); leave input_size at 0", c.Name, c.InputWidth, c.InputHeight)
	}
	if d.InputSize > 0 {
		c.InputWidth, c.InputHeight = d.InputSize, d.InputSize
	}
	c.Confidence, c.NMS = d.Confidence, d.NMS
	if len(d.Classes) > 0 {
		c.Keep = d.Classes
	}
	c.Masks = points2(cam.Motion.Masks)
	c.Engine = engine
	return detect.NewDNN(c)
}

// NewPoolModel loads the shared model (top-level detector.model) for one
// pool worker, run on engine (detector.engine; empty means auto). The
// manifest's classes are kept (person, bicycle, car, motorcycle, bus,
// truck for the default); cameras narrow them further. The result is a
// *detect.DNN: its Engine method says which engine runs it.
func NewPoolModel(model, engine string) (detpool.Inferer, error) {
	if model == "" {
		return nil, fmt.Errorf("detector.model: %s.onnx not found: run `make models` (or scripts/models.sh), or set detector.model", config.DefaultModel)
	}
	c, err := modelConfig(model, "")
	if err != nil {
		return nil, err
	}
	c.Confidence = poolConfidence
	c.Engine = engine
	return detect.NewDNN(c)
}

// poolClient is the camera's analyzer on the shared detector: on opt.Pool
// when there is one, else inline on a model of its own (check, eval).
func poolClient(cam config.Camera, mot *motion.Detector, opt Options) (Analyzer, error) {
	cc := detpool.ClientConfig{
		Camera: cam.Name, MaxRate: cam.Detector.MaxRate, Classes: cam.Detector.Classes,
		MinScore: cam.Detector.Confidence, Masks: points2(cam.Motion.Masks),
		Rules: ruleBounds(cam),
	}
	if opt.Pool != nil {
		return opt.Pool.Client(cc, mot), nil
	}
	inf, err := NewPoolModel(opt.Model, opt.Engine)
	if err != nil {
		return nil, err
	}
	return detpool.NewInline(inf, cc, mot, opt.PoolMetrics), nil
}
