package detect

import (
	"fmt"
	"image"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/fgmask"
	"gocv.io/x/gocv"
)

// HOGConfig tunes a HOG people detector. The zero value is usable.
type HOGConfig struct {
	// Budget is the time the detector may spend per frame. Regions left
	// over are examined first on the next frame. It defaults to 30 ms; at
	// least one region is examined per frame.
	Budget time.Duration
	// MinRegion is the smallest moving blob, as a fraction of the frame
	// area, worth examining. It defaults to 0.001.
	MinRegion float64
	// Padding widens each moving region by this fraction of its size on
	// every side, so a partly moving person is seen whole. It defaults to
	// 0.25.
	Padding float64
	// HitThreshold is the SVM score a window needs to be a person; raise it
	// to cut false positives. It defaults to 0.
	HitThreshold float64
	// Scale is the step between pyramid levels. It defaults to 1.05.
	Scale float64
	// NMS is the overlap (IoU) above which the weaker of two people is
	// dropped. It defaults to 0.3.
	NMS float64
	// Masks are normalised polygons; a person whose feet (bottom centre)
	// stand in one is not reported.
	Masks [][]vision.Point
}

// HOG finds people with OpenCV's HOG + linear SVM people detector in the
// moving regions of each frame. It is called from one goroutine; Close
// frees its native memory.
type HOG struct {
	cfg  HOGConfig
	src  BlobSource
	hog  gocv.HOGDescriptor
	work gocv.Mat
	regs []image.Rectangle
	dets []vision.Detection
	next int // region to start with on the next frame

	examined, skipped uint64
}

// The people detector's window is 64×128 px; regions are upscaled so that
// a person fills most of it.
const (
	hogMinH  = 136
	hogMinW  = 72
	hogMaxUp = 4.0
)

// NewHOG checks cfg and returns a HOG people detector working on the
// moving regions given by src (normally the camera's *motion.Detector,
// which must run first). Errors name the offending field.
func NewHOG(cfg HOGConfig, src BlobSource) (*HOG, error) {
	switch {
	case src == nil:
		return nil, fmt.Errorf("hog: source: the HOG detector runs on motion regions and needs the motion detector")
	case cfg.Budget < 0:
		return nil, fmt.Errorf("hog: budget: must not be negative, got %v", cfg.Budget)
	case cfg.MinRegion < 0 || cfg.MinRegion >= 1:
		return nil, fmt.Errorf("hog: min_region: must be in [0, 1), got %g", cfg.MinRegion)
	case cfg.Padding < 0 || cfg.Padding > 2:
		return nil, fmt.Errorf("hog: padding: must be in [0, 2], got %g", cfg.Padding)
	case cfg.Scale != 0 && cfg.Scale <= 1:
		return nil, fmt.Errorf("hog: scale: must be above 1, got %g", cfg.Scale)
	case cfg.NMS < 0 || cfg.NMS > 1:
		return nil, fmt.Errorf("hog: nms: must be in [0, 1], got %g", cfg.NMS)
	}
	if err := fgmask.CheckPolygons("hog: masks", cfg.Masks); err != nil {
		return nil, err
	}
	if cfg.Budget == 0 {
		cfg.Budget = 30 * time.Millisecond
	}
	if cfg.MinRegion == 0 {
		cfg.MinRegion = 0.001
	}
	if cfg.Padding == 0 {
		cfg.Padding = 0.25
	}
	if cfg.Scale == 0 {
		cfg.Scale = 1.05
	}
	if cfg.NMS == 0 {
		cfg.NMS = 0.3
	}
	coef, err := peopleCoefficients()
	if err != nil {
		return nil, err
	}
	svm, err := gocv.NewMatFromBytes(1, len(coef), gocv.MatTypeCV32F, float32Bytes(coef))
	if err != nil {
		return nil, fmt.Errorf("hog: coefficients: %w", err)
	}
	defer svm.Close() // setSVMDetector copies them
	d := &HOG{cfg: cfg, src: src, hog: gocv.NewHOGDescriptor(), work: gocv.NewMat()}
	d.hog.SetSVMDetector(svm)
	return d, nil
}

// Name is the analyzer's name in metrics and logs.
func (d *HOG) Name() string { return "detect_hog" }

// Stats returns how many moving regions were examined and how many were
// skipped for lack of time, since the start.
func (d *HOG) Stats() (examined, skipped uint64) { return d.examined, d.skipped }

// Analyze looks for people in the moving regions of f, within the time
// budget, and appends them as "person" detections.
func (d *HOG) Analyze(f *frame.Frame, r *vision.Result) error {
	blobs, ok := d.src.Blobs(f.Time)
	if !ok {
		return fmt.Errorf("hog: no motion regions for the frame at %s: run the motion analyzer before the HOG detector", f.Time.Format("15:04:05.000"))
	}
	size := image.Pt(f.Gray.Cols(), f.Gray.Rows())
	d.regions(blobs, size)
	if len(d.regs) == 0 {
		return nil
	}
	start := time.Now()
	d.dets = d.dets[:0]
	n := len(d.regs)
	first := d.next % n
	done := 0
	for k := 0; k < n; k++ {
		i := (first + k) % n
		d.scan(f.Gray, d.regs[i], size)
		done++
		if time.Since(start) > d.cfg.Budget && k < n-1 {
			d.next = i + 1
			break
		}
	}
	if done == n {
		d.next = 0
	}
	d.examined += uint64(done)
	d.skipped += uint64(n - done)
	for _, det := range nms(d.dets, d.cfg.NMS) {
		if !masked(det.Box, d.cfg.Masks) {
			r.Detections = append(r.Detections, det)
		}
	}
	return nil
}

// regions collects the padded boxes of big enough blobs, merging those
// that overlap.
func (d *HOG) regions(blobs []fgmask.Blob, size image.Point) {
	d.regs = d.regs[:0]
	frame := image.Rect(0, 0, size.X, size.Y)
	for _, b := range blobs {
		if b.Area < d.cfg.MinRegion {
			continue
		}
		px, py := int(float64(b.Px.Dx())*d.cfg.Padding), int(float64(b.Px.Dy())*d.cfg.Padding)
		px, py = max(px, 4), max(py, 4)
		reg := image.Rect(b.Px.Min.X-px, b.Px.Min.Y-py, b.Px.Max.X+px, b.Px.Max.Y+py)
		d.regs = append(d.regs, reg.Intersect(frame))
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(d.regs) && !merged; i++ {
			for j := i + 1; j < len(d.regs); j++ {
				if d.regs[i].Overlaps(d.regs[j]) {
					d.regs[i] = d.regs[i].Union(d.regs[j])
					d.regs = append(d.regs[:j], d.regs[j+1:]...)
					merged = true
					break
				}
			}
		}
	}
}

// scan runs the people detector on one region of gray.
func (d *HOG) scan(gray gocv.Mat, reg image.Rectangle, size image.Point) {
	s := max(1, float64(hogMinH)/float64(reg.Dy()), float64(hogMinW)/float64(reg.Dx()))
	s = min(s, hogMaxUp)
	roi := gray.Region(reg)
	defer roi.Close()
	src := roi
	if s > 1 {
		gocv.Resize(roi, &d.work, image.Pt(int(float64(reg.Dx())*s+0.5), int(float64(reg.Dy())*s+0.5)), 0, 0, gocv.InterpolationLinear)
		src = d.work
	}
	if src.Cols() < 64 || src.Rows() < 128 {
		return // smaller than the detector's window even after upscaling
	}
	found := d.hog.DetectMultiScaleWithParams(src, d.cfg.HitThreshold, image.Pt(8, 8), image.Pt(8, 8), d.cfg.Scale, 2, false)
	fw, fh := float64(size.X), float64(size.Y)
	for _, w := range found {
		// The window has margins around the person: about a quarter of its
		// width on each side and an eighth of its height top and bottom.
		x := float64(w.Min.X) + 0.2*float64(w.Dx())
		y := float64(w.Min.Y) + 0.1*float64(w.Dy())
		bw, bh := 0.6*float64(w.Dx()), 0.8*float64(w.Dy())
		box := vision.Rect{X: (x/s + float64(reg.Min.X)) / fw, Y: (y/s + float64(reg.Min.Y)) / fh, W: bw / s / fw, H: bh / s / fh}
		d.dets = append(d.dets, vision.Detection{Box: clampRect(box), Class: "person", Score: 1})
	}
}

// Close frees the native memory.
func (d *HOG) Close() error {
	d.work.Close()
	return d.hog.Close()
}
