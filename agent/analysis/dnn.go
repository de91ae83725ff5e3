package analysis

import (
	"fmt"
	"path/filepath"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/vision/detect"
)

// newDNN loads the camera's model through a manifest.json: the one in
// detector.models_dir when the model is given by name, else the one beside
// the model file. The manifest gives the checksum the file must match (a
// model that does not match is not loaded) and how to run it; the camera's
// config overrides the thresholds and the classes kept.
func newDNN(cam config.Camera) (Analyzer, error) {
	d := cam.Detector
	if d.Model == "" {
		return nil, fmt.Errorf("dnn: detector.model is required")
	}
	name := d.Model
	manifestPath := filepath.Join(d.ModelsDir, "manifest.json")
	if !config.IsModelName(d.Model) {
		manifestPath = filepath.Join(filepath.Dir(d.Model), "manifest.json")
		name = ""
	}
	m, err := detect.ReadManifest(manifestPath)
	if err != nil {
		return nil, fmt.Errorf("dnn: %s must be listed, with its sha256, in %s (see models/README.md): %w", d.Model, manifestPath, err)
	}
	if name == "" {
		for _, mi := range m.Models {
			if mi.File == filepath.Base(d.Model) {
				name = mi.Name
			}
		}
	}
	if name == "" {
		return nil, fmt.Errorf("dnn: %s is not listed in %s; add it with its sha256 (see models/README.md)", filepath.Base(d.Model), manifestPath)
	}
	c, err := m.DNNConfig(name)
	if err != nil {
		return nil, fmt.Errorf("dnn: %w", err)
	}
	if d.ClassesFile != "" {
		c.Classes, c.ClassesFile = nil, d.ClassesFile
	}
	if d.InputSize > 0 && c.Anchors != "" && (d.InputSize != c.InputWidth || d.InputSize != c.InputHeight) {
		return nil, fmt.Errorf("dnn: detector.input_size: model %s takes only %d×%d (its anchors are made for it); leave input_size at 0", name, c.InputWidth, c.InputHeight)
	}
	if d.InputSize > 0 {
		c.InputWidth, c.InputHeight = d.InputSize, d.InputSize
	}
	c.Confidence, c.NMS = d.Confidence, d.NMS
	if len(d.Classes) > 0 {
		c.Keep = d.Classes
	}
	c.Masks = points2(cam.Motion.Masks)
	det, err := detect.NewDNN(c)
	if err != nil {
		return nil, err
	}
	return det, nil
}
