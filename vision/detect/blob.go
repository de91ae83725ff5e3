package detect

import (
	"fmt"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/fgmask"
)

// BlobConfig tunes a BlobDetector. The zero value is usable.
type BlobConfig struct {
	// MinSize is the smallest box, as a fraction of the frame area, reported
	// as an object. It defaults to 0.002.
	MinSize float64
	// MaxSize is the largest box, as a fraction of the frame area, reported
	// as an object; bigger blobs are usually lighting changes. It defaults
	// to 0.5.
	MaxSize float64
	// MinFill is the smallest share of its box a blob must cover. It
	// defaults to 0.1.
	MinFill float64
	// Masks are normalised polygons; a blob whose bottom centre lies in one
	// is not reported.
	Masks [][]vision.Point
	// Class is the class given to blobs. It defaults to "object".
	Class string
	// Threshold and History configure the detector's own background model,
	// used only when it has no BlobSource (see motion.Config).
	Threshold float64
	History   int
}

// BlobDetector reports moving foreground blobs as detections. It is called
// from one goroutine; Close frees its native memory.
type BlobDetector struct {
	cfg BlobConfig
	src BlobSource
	own *fgmask.Subtractor // when src is nil
}

// NewBlobDetector checks cfg and returns a BlobDetector that takes its
// blobs from src (normally the camera's *motion.Detector, which must then
// run first). With a nil src it subtracts the background itself. Errors
// name the offending field.
func NewBlobDetector(cfg BlobConfig, src BlobSource) (*BlobDetector, error) {
	switch {
	case cfg.MinSize < 0 || cfg.MinSize >= 1:
		return nil, fmt.Errorf("blob: min_size: must be in [0, 1), got %g", cfg.MinSize)
	case cfg.MaxSize < 0 || cfg.MaxSize > 1:
		return nil, fmt.Errorf("blob: max_size: must be in [0, 1], got %g", cfg.MaxSize)
	case cfg.MinFill < 0 || cfg.MinFill > 1:
		return nil, fmt.Errorf("blob: min_fill: must be in [0, 1], got %g", cfg.MinFill)
	}
	if err := fgmask.CheckPolygons("blob: masks", cfg.Masks); err != nil {
		return nil, err
	}
	if cfg.MinSize == 0 {
		cfg.MinSize = 0.002
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = 0.5
	}
	if cfg.MinSize >= cfg.MaxSize {
		return nil, fmt.Errorf("blob: min_size: %g is not below max_size %g", cfg.MinSize, cfg.MaxSize)
	}
	if cfg.MinFill == 0 {
		cfg.MinFill = 0.1
	}
	if cfg.Class == "" {
		cfg.Class = "object"
	}
	d := &BlobDetector{cfg: cfg, src: src}
	if src == nil {
		own, err := fgmask.New(fgmask.Config{VarThreshold: cfg.Threshold, History: cfg.History})
		if err != nil {
			return nil, fmt.Errorf("blob: %w", err)
		}
		d.own = own
	}
	return d, nil
}

// Name is the analyzer's name in metrics and logs.
func (d *BlobDetector) Name() string { return "detect_blob" }

// Analyze appends one detection (score 1) per qualifying blob of f.
func (d *BlobDetector) Analyze(f *frame.Frame, r *vision.Result) error {
	var blobs []fgmask.Blob
	if d.src != nil {
		var ok bool
		if blobs, ok = d.src.Blobs(f.Time); !ok {
			return fmt.Errorf("blob: no foreground for the frame at %s: run the motion analyzer before the blob detector", f.Time.Format("15:04:05.000"))
		}
	} else {
		if err := d.own.Apply(f.Gray); err != nil {
			return fmt.Errorf("blob: %w", err)
		}
		if d.own.Frames() > 10 { // the first frames are all foreground
			blobs = d.own.Blobs()
		}
	}
	for _, b := range blobs {
		a := b.Box.Area()
		if a < d.cfg.MinSize || a > d.cfg.MaxSize || b.Area < d.cfg.MinFill*a || masked(b.Box, d.cfg.Masks) {
			continue
		}
		r.Detections = append(r.Detections, vision.Detection{Box: b.Box, Class: d.cfg.Class, Score: 1})
	}
	return nil
}

// Close frees the native memory of its own background model, if any.
func (d *BlobDetector) Close() error {
	if d.own != nil {
		return d.own.Close()
	}
	return nil
}
