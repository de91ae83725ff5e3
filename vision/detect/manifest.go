package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Manifest lists the models an agent may load (models/manifest.json):
// what each is, where to get it, and the checksum it must match.
type Manifest struct {
	// Schema is the manifest format version, 1.
	Schema int         `json:"schema"`
	Models []ModelInfo `json:"models"`

	dir string // directory of the manifest file; model paths are relative to it
}

// ModelInfo is one model of the manifest.
type ModelInfo struct {
	Name string `json:"name"`
	// File is the network file, relative to the manifest's directory.
	File string `json:"file"`
	// Config is the second file Caffe or Darknet models need, if any.
	Config string `json:"config,omitempty"`
	// Anchors is the anchors file of a raw-output SSD (see
	// DNNConfig.Anchors), relative to the manifest's directory, and
	// AnchorsSHA256 its checksum.
	Anchors       string `json:"anchors,omitempty"`
	AnchorsSHA256 string `json:"anchors_sha256,omitempty"`
	// Format is yolov5, yolov8 or ssd (see DNNConfig.Format).
	Format string `json:"format"`
	// Input is the network's input width and height in pixels.
	Input [2]int `json:"input"`
	// Classes or ClassesFile (relative to the manifest) name the classes.
	Classes     []string `json:"classes,omitempty"`
	ClassesFile string   `json:"classes_file,omitempty"`
	// Keep is the classes reported when the camera's config names none:
	// for a COCO model, what a city counts. Empty reports every class.
	Keep []string `json:"keep,omitempty"`
	// SHA256 is the hex checksum File must have. Empty means nobody has
	// checked a copy yet: such an entry cannot be loaded.
	SHA256 string `json:"sha256"`
	// Scale, Mean, BGR and Stretch describe the pre-processing (see
	// DNNConfig); Stretch is for models trained on stretched pictures.
	Scale   float64 `json:"scale,omitempty"`
	Mean    float64 `json:"mean,omitempty"`
	BGR     bool    `json:"bgr,omitempty"`
	Stretch bool    `json:"stretch,omitempty"`
	// Licence is the model's licence; Source says where to get it and how.
	Licence     string `json:"licence"`
	Source      string `json:"source"`
	Description string `json:"description,omitempty"`
}

// ReadManifest reads and checks a manifest. Unknown keys are errors;
// errors name the entry and key (models[1].format: …).
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model manifest: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("model manifest %s: %w", path, err)
	}
	if m.Schema != 1 {
		return nil, fmt.Errorf("model manifest %s: schema: want 1, got %d", path, m.Schema)
	}
	var names []string
	for i, mi := range m.Models {
		key := fmt.Sprintf("model manifest %s: models[%d]", path, i)
		switch {
		case mi.Name == "":
			return nil, fmt.Errorf("%s.name: required", key)
		case slices.Contains(names, mi.Name):
			return nil, fmt.Errorf("%s.name: %q listed twice", key, mi.Name)
		case mi.File == "":
			return nil, fmt.Errorf("%s.file: required", key)
		case mi.Format != FormatYOLOv5 && mi.Format != FormatYOLOv8 && mi.Format != FormatSSD:
			return nil, fmt.Errorf("%s.format: %q is not yolov5, yolov8 or ssd", key, mi.Format)
		case mi.Input[0] <= 0 || mi.Input[1] <= 0:
			return nil, fmt.Errorf("%s.input: need [width, height], got %v", key, mi.Input)
		case len(mi.Classes) == 0 && mi.ClassesFile == "":
			return nil, fmt.Errorf("%s.classes: need classes or classes_file", key)
		case mi.SHA256 != "" && len(mi.SHA256) != 64:
			return nil, fmt.Errorf("%s.sha256: want 64 hex digits, got %d characters", key, len(mi.SHA256))
		case mi.Anchors != "" && mi.Format != FormatSSD:
			return nil, fmt.Errorf("%s.anchors: only for format ssd", key)
		case mi.Anchors != "" && len(mi.AnchorsSHA256) != 64:
			return nil, fmt.Errorf("%s.anchors_sha256: want 64 hex digits, got %d characters", key, len(mi.AnchorsSHA256))
		case mi.Licence == "" || mi.Source == "":
			return nil, fmt.Errorf("%s: licence and source are required", key)
		}
		names = append(names, mi.Name)
	}
	m.dir = filepath.Dir(path)
	return &m, nil
}

// DNNConfig returns the detector configuration of the model called name,
// with paths resolved against the manifest's directory and Keep set to the
// entry's default classes. Thresholds and Masks are left for the caller.
func (m *Manifest) DNNConfig(name string) (DNNConfig, error) {
	for _, mi := range m.Models {
		if mi.Name != name {
			continue
		}
		if mi.SHA256 == "" {
			return DNNConfig{}, fmt.Errorf("model %s: sha256: empty in the manifest: get the file (%s), check it, and fill in its sha256", name, mi.Source)
		}
		c := DNNConfig{
			Name:  name,
			Model: filepath.Join(m.dir, mi.File), SHA256: mi.SHA256, Format: mi.Format,
			Classes: mi.Classes, InputWidth: mi.Input[0], InputHeight: mi.Input[1],
			Scale: mi.Scale, Mean: mi.Mean, BGR: mi.BGR, Stretch: mi.Stretch, Keep: mi.Keep,
		}
		if mi.Anchors != "" {
			c.Anchors, c.AnchorsSHA256 = filepath.Join(m.dir, mi.Anchors), mi.AnchorsSHA256
		}
		if mi.Config != "" {
			c.Config = filepath.Join(m.dir, mi.Config)
		}
		if mi.ClassesFile != "" {
			c.ClassesFile = filepath.Join(m.dir, mi.ClassesFile)
		}
		return c, nil
	}
	return DNNConfig{}, fmt.Errorf("model %q: not in the manifest", name)
}
