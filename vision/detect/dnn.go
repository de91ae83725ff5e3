package detect

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"unsafe"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/internal/fgmask"
	"gocv.io/x/gocv"
)

// Output formats a DNN understands.
const (
	// FormatYOLOv5 is one row per candidate box, [1, N, 5+C]: centre x,
	// centre y, width, height (input pixels), objectness, C class scores.
	FormatYOLOv5 = "yolov5"
	// FormatYOLOv8 is one column per candidate box, [1, 4+C, N]: centre x,
	// centre y, width, height (input pixels), C class scores.
	FormatYOLOv8 = "yolov8"
	// FormatSSD is either [1, 1, N, 7]: image id, class index, confidence,
	// x1, y1, x2, y2 (normalised), as OpenCV's DetectionOutput layer
	// writes; or, when the model comes with anchors, the raw outputs of a
	// TensorFlow Object Detection API SSD: box encodings [1, N, 4] and
	// class scores [1, N, C] (see decodeAnchored).
	FormatSSD = "ssd"
)

// DNNConfig describes a user-supplied model and how to run it.
type DNNConfig struct {
	// Name names the model in errors (its manifest name). It defaults to
	// the file name of Model.
	Name string
	// Model is the path of the network file (.onnx, or anything
	// cv::dnn::readNet reads). Required.
	Model string
	// Config is the path of a second file some frameworks need (Caffe
	// .prototxt, Darknet .cfg); empty for ONNX.
	Config string
	// SHA256 is the expected hex sha256 of Model (see models/manifest.json).
	// Required: a model that does not match is not loaded.
	SHA256 string
	// Classes are the class names, in the model's order. Either Classes or
	// ClassesFile is required.
	Classes []string
	// ClassesFile is a names file: one class per line, in order.
	ClassesFile string
	// Format is FormatYOLOv5, FormatYOLOv8 or FormatSSD. Empty means guess
	// from the output's shape and the number of classes.
	Format string
	// Anchors is the file of an SSD's anchors: N × (ymin, xmin, ymax, xmax)
	// as little-endian float32, normalised (see scripts/tfjs2onnx.py). With
	// it, FormatSSD means the raw two-output layout.
	Anchors string
	// AnchorsSHA256 is the expected hex sha256 of Anchors; required with it.
	AnchorsSHA256 string
	// InputWidth and InputHeight are the network's input size in pixels.
	// They default to 640 × 640.
	InputWidth, InputHeight int
	// Stretch resizes the frame to the input size, ignoring its aspect
	// ratio, for models trained so (the default COCO SSD: see
	// models/README.md for what was measured). By default the frame is
	// letterboxed: scaled to fit, centred, with grey bars.
	Stretch bool
	// Confidence is the lowest score reported. It defaults to 0.4.
	Confidence float64
	// NMS is the overlap (IoU) above which the weaker of two boxes of the
	// same class is dropped. It defaults to 0.45.
	NMS float64
	// Scale multiplies pixel values (after Mean is subtracted). It
	// defaults to 1/255.
	Scale float64
	// Mean is subtracted from every pixel value before scaling.
	Mean float64
	// BGR feeds channels in OpenCV's BGR order; by default the network gets
	// RGB, as YOLO models expect.
	BGR bool
	// Keep lists the classes to report (e.g. person, car); empty reports
	// all.
	Keep []string
	// Masks are normalised polygons; a box whose bottom centre lies in one
	// is not reported.
	Masks [][]vision.Point
	// Engine runs the network: EngineXNNPACK, EngineOpenCV, or
	// EngineAuto (the default, also when empty): XNNPACK when the ONNX
	// graph translates to it, else OpenCV's dnn.
	Engine string
}

// Inference engines (DNNConfig.Engine).
const (
	// EngineAuto is XNNPACK when the model's graph translates, else OpenCV.
	EngineAuto = "auto"
	// EngineXNNPACK runs ONNX MobileNet-style SSDs with XNNPACK's NHWC
	// kernels (about three times less CPU than OpenCV 4.6 for the default
	// SSD: docs/performance.md); other graphs are refused.
	EngineXNNPACK = "xnnpack"
	// EngineOpenCV runs any model cv::dnn::readNet reads.
	EngineOpenCV = "opencv"
)

// DNN runs a model through OpenCV dnn on each frame (colour when the frame
// can provide it, else gray). One goroutine at a time may call Analyze or
// Infer (a pool gives each worker its own DNN); Close frees the network.
type DNN struct {
	cfg     DNNConfig
	net     *C.pn_net // OpenCV's engine, or
	xnn     *xnnNet   // XNNPACK's
	why     string    // why auto did not take XNNPACK
	errBuf  *C.char
	classes []string
	keep    []bool    // by class index
	kept    []int     // indices of kept classes
	anchors []float32 // centre form: cy, cx, h, w per anchor (raw SSD only)
	dets    []vision.Detection
	outs    [][]float32 // outputs of the last forward, valid until the next
	dims    [8]C.int    // shape of output 0
	nd      C.int       // number of dims used
	shapes  [][]int     // shape of every output
	geo     letterbox   // where the last frame went in the input
}

const errLen = 1024

// NewDNN checks cfg, verifies the sha256 of the model file (and of its
// anchors), loads it and runs it once on a grey picture to check the shape
// of its outputs. Errors name the offending field, or the model and the
// shape it must have; a model OpenCV cannot read is an error, not a crash.
func NewDNN(cfg DNNConfig) (*DNN, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	classes := cfg.Classes
	if len(classes) == 0 {
		var err error
		if classes, err = readClasses(cfg.ClassesFile); err != nil {
			return nil, err
		}
	}
	keep := make([]bool, len(classes))
	var kept []int
	for i, c := range classes {
		keep[i] = len(cfg.Keep) == 0 || slices.Contains(cfg.Keep, c)
		if keep[i] {
			kept = append(kept, i)
		}
	}
	for _, k := range cfg.Keep {
		if !slices.Contains(classes, k) {
			return nil, fmt.Errorf("dnn: keep: class %q is not one of the model's classes", k)
		}
	}
	// Everything that can be checked is checked before OpenCV reads a
	// byte: a file OpenCV chokes on may abort the process in places the
	// shim cannot reach.
	d := &DNN{cfg: cfg, classes: classes, keep: keep, kept: kept}
	if cfg.Anchors != "" {
		a, err := readAnchors(cfg.Anchors, cfg.AnchorsSHA256)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", cfg.Name, err)
		}
		d.anchors = a
	}
	if err := verifySHA256(cfg.Model, cfg.SHA256); err != nil {
		return nil, fmt.Errorf("model %s: %w (expected %s)", cfg.Name, err, cfg.expected(len(classes), len(d.anchors)/4))
	}
	d.errBuf = (*C.char)(C.calloc(errLen, 1))
	if err := d.openXNN(); err != nil {
		C.free(unsafe.Pointer(d.errBuf))
		return nil, err
	}
	if d.xnn != nil {
		if err := d.probe(); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	}
	model := C.CString(cfg.Model)
	defer C.free(unsafe.Pointer(model))
	var config *C.char
	if cfg.Config != "" {
		config = C.CString(cfg.Config)
		defer C.free(unsafe.Pointer(config))
	}
	d.net = C.pn_net_open(model, config, d.errBuf, errLen)
	if d.net == nil {
		err := fmt.Errorf("model %s: dnn: OpenCV cannot load %s: %s (expected %s)", cfg.Name, cfg.Model, C.GoString(d.errBuf), cfg.expected(len(classes), len(d.anchors)/4))
		C.free(unsafe.Pointer(d.errBuf))
		return nil, err
	}
	if err := d.probe(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// probe runs the network once on a grey picture of its input size, so a
// model of the wrong shape is refused when it is loaded (at check and at
// start), not on the first frame.
func (d *DNN) probe() error {
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), d.cfg.InputHeight, d.cfg.InputWidth, gocv.MatTypeCV8UC3)
	defer img.Close()
	if _, err := d.run(img); err != nil {
		return fmt.Errorf("model %s: %w (expected %s)", d.cfg.Name, err, d.cfg.expected(len(d.classes), len(d.anchors)/4))
	}
	return nil
}

// expected describes the input and outputs the model must have, for
// errors.
func (cfg *DNNConfig) expected(classes, anchors int) string {
	in := fmt.Sprintf("input 1×3×%d×%d", cfg.InputHeight, cfg.InputWidth)
	switch {
	case cfg.Format == FormatSSD && cfg.Anchors != "" && anchors > 0:
		return fmt.Sprintf("%s, outputs boxes [1, %d, 4] and scores [1, %d, %d]", in, anchors, anchors, classes)
	case cfg.Format == FormatSSD && cfg.Anchors != "":
		return fmt.Sprintf("%s, outputs boxes [1, N, 4] and scores [1, N, %d]", in, classes)
	case cfg.Format == FormatSSD:
		return in + ", output [1, 1, N, 7]"
	case cfg.Format == FormatYOLOv5:
		return fmt.Sprintf("%s, output [1, N, %d]", in, 5+classes)
	case cfg.Format == FormatYOLOv8:
		return fmt.Sprintf("%s, output [1, %d, N]", in, 4+classes)
	}
	return fmt.Sprintf("%s and a yolov5, yolov8 or ssd output for %d classes", in, classes)
}

// check validates cfg and fills in defaults.
func (cfg *DNNConfig) check() error {
	switch {
	case cfg.Model == "":
		return fmt.Errorf("dnn: model: required")
	case cfg.SHA256 == "":
		return fmt.Errorf("dnn: sha256: required (the model's checksum from models/manifest.json; sha256sum prints it)")
	case len(cfg.Classes) == 0 && cfg.ClassesFile == "":
		return fmt.Errorf("dnn: classes: need class names (classes or classes_file)")
	case cfg.Format != "" && cfg.Format != FormatYOLOv5 && cfg.Format != FormatYOLOv8 && cfg.Format != FormatSSD:
		return fmt.Errorf("dnn: format: %q is not yolov5, yolov8 or ssd", cfg.Format)
	case cfg.InputWidth < 0 || cfg.InputHeight < 0 || cfg.InputWidth > 4096 || cfg.InputHeight > 4096:
		return fmt.Errorf("dnn: input size: %d×%d out of range", cfg.InputWidth, cfg.InputHeight)
	case cfg.Confidence < 0 || cfg.Confidence > 1:
		return fmt.Errorf("dnn: confidence: must be in [0, 1], got %g", cfg.Confidence)
	case cfg.NMS < 0 || cfg.NMS > 1:
		return fmt.Errorf("dnn: nms: must be in [0, 1], got %g", cfg.NMS)
	case cfg.Scale < 0:
		return fmt.Errorf("dnn: scale: must not be negative, got %g", cfg.Scale)
	case cfg.Anchors != "" && cfg.Format != FormatSSD:
		return fmt.Errorf("dnn: anchors: only for format ssd, not %q", cfg.Format)
	case cfg.Anchors != "" && cfg.AnchorsSHA256 == "":
		return fmt.Errorf("dnn: anchors_sha256: required with anchors")
	case cfg.Engine != "" && cfg.Engine != EngineAuto && cfg.Engine != EngineXNNPACK && cfg.Engine != EngineOpenCV:
		return fmt.Errorf("dnn: engine: %q is not auto, xnnpack or opencv", cfg.Engine)
	case cfg.Engine == EngineXNNPACK && cfg.Config != "":
		return fmt.Errorf("dnn: engine: xnnpack runs ONNX models only, not %s with %s", filepath.Base(cfg.Model), filepath.Base(cfg.Config))
	}
	if cfg.Name == "" {
		cfg.Name = filepath.Base(cfg.Model)
	}
	if err := fgmask.CheckPolygons("dnn: masks", cfg.Masks); err != nil {
		return err
	}
	if cfg.InputWidth == 0 {
		cfg.InputWidth = 640
	}
	if cfg.InputHeight == 0 {
		cfg.InputHeight = 640
	}
	if cfg.Confidence == 0 {
		cfg.Confidence = 0.4
	}
	if cfg.NMS == 0 {
		cfg.NMS = 0.45
	}
	if cfg.Scale == 0 {
		cfg.Scale = 1.0 / 255
	}
	return nil
}

// Name is the analyzer's name in metrics and logs.
func (d *DNN) Name() string { return "detect_dnn" }

// Analyze runs the network on f and appends what it found, after the
// confidence threshold, NMS, class filter and masks, in coordinates
// normalised to the frame.
func (d *DNN) Analyze(f *frame.Frame, r *vision.Result) error {
	img, err := f.BGR()
	if err != nil || img.Empty() {
		img = f.Gray
	}
	dets, err := d.run(img)
	if err != nil {
		return err
	}
	for _, det := range dets {
		if !masked(det.Box, d.cfg.Masks) {
			r.Detections = append(r.Detections, det)
		}
	}
	return nil
}

// InputSize is the network's input size in pixels: the detector pool
// cuts its crops at this size, so objects are seen at the model's scale.
func (d *DNN) InputSize() (w, h int) { return d.cfg.InputWidth, d.cfg.InputHeight }

// Infer runs the network on img, an 8-bit BGR picture of any size (a gray
// picture as gray in three channels; one channel is accepted too), resized
// to the model's input (letterboxed, or stretched when the model says so),
// and returns what it found after the confidence threshold, NMS per class and
// class filter, with boxes in img's pixels. Masks are not applied: img may
// be a crop, and the caller knows where it came from. Output that is NaN,
// empty or of the wrong shape gives an error wrapping ErrBadOutput (skip
// the frame and count it). The returned slice is the caller's.
func (d *DNN) Infer(img gocv.Mat) ([]vision.Detection, error) {
	dets, err := d.run(img)
	if err != nil {
		return nil, err
	}
	out := make([]vision.Detection, len(dets))
	w, h := float64(img.Cols()), float64(img.Rows())
	for i, det := range dets {
		b := det.Box
		det.Box = vision.Rect{X: b.X * w, Y: b.Y * h, W: b.W * w, H: b.H * h}
		out[i] = det
	}
	return out, nil
}

// run does forward, decode and NMS; the boxes are normalised to img and
// stay valid until the next call.
func (d *DNN) run(img gocv.Mat) ([]vision.Detection, error) {
	if err := d.forward(img); err != nil {
		return nil, err
	}
	d.dets = d.dets[:0]
	var err error
	if d.anchors != nil {
		err = d.decodeAnchored()
	} else {
		err = d.decode(d.outs[0])
	}
	if err != nil {
		return nil, err
	}
	for i := range d.dets {
		d.dets[i].Box = clampRect(d.geo.toImage(d.dets[i].Box))
	}
	return nms(d.dets, d.cfg.NMS), nil
}

// forward runs the network on img; d.outs and d.shapes hold its outputs
// until the next call.
func (d *DNN) forward(img gocv.Mat) error {
	if img.Empty() || (img.Type() != gocv.MatTypeCV8UC1 && img.Type() != gocv.MatTypeCV8UC3) {
		return fmt.Errorf("dnn: need an 8-bit gray or BGR frame, got type %v", img.Type())
	}
	if d.net == nil && d.xnn == nil {
		return fmt.Errorf("dnn: model %s is closed", d.cfg.Name)
	}
	data, err := img.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("dnn: frame: %w", err)
	}
	swap := C.int(1)
	if d.cfg.BGR {
		swap = 0
	}
	inW, inH := d.cfg.InputWidth, d.cfg.InputHeight
	d.geo = fit(img.Cols(), img.Rows(), inW, inH, d.cfg.Stretch)
	g := d.geo
	// Bars are grey after normalisation when the model centres its input
	// (mean 127.5); YOLO-style models (mean 0) were trained with 114.
	pad := 114
	if d.cfg.Mean > 0 {
		pad = int(math.Round(min(d.cfg.Mean, 255)))
	}
	if d.xnn != nil {
		return d.forwardXNN(img, pad)
	}
	n := C.pn_net_forward(d.net, (*C.uchar)(unsafe.Pointer(&data[0])), C.int(img.Rows()), C.int(img.Cols()),
		C.int(img.Channels()), C.size_t(img.Step()), C.int(inW), C.int(inH),
		C.int(g.x), C.int(g.y), C.int(g.w), C.int(g.h), C.int(pad),
		C.double(d.cfg.Scale), C.double(d.cfg.Mean), swap, d.errBuf, errLen)
	if n < 0 {
		return fmt.Errorf("dnn: forward: %s", C.GoString(d.errBuf))
	}
	d.outs, d.shapes = d.outs[:0], d.shapes[:0]
	for i := 0; i < int(n); i++ {
		var p *C.float
		var dims [8]C.int
		var nd C.int
		k := int(C.pn_net_output(d.net, C.int(i), &p, &dims[0], &nd))
		shape := make([]int, nd)
		for j := range shape {
			shape[j] = int(dims[j])
		}
		if i == 0 {
			d.dims, d.nd = dims, nd
		}
		var out []float32
		if k > 0 {
			out = unsafe.Slice((*float32)(unsafe.Pointer(p)), k)
		}
		d.outs, d.shapes = append(d.outs, out), append(d.shapes, shape)
	}
	if len(d.outs) == 0 || len(d.outs[0]) == 0 {
		return fmt.Errorf("%w: the model gave no output", ErrBadOutput)
	}
	return nil
}

// Close frees the network.
func (d *DNN) Close() error {
	if d.xnn != nil {
		d.xnn.close()
		d.xnn = nil
		C.free(unsafe.Pointer(d.errBuf))
	}
	if d.net != nil {
		C.pn_net_close(d.net)
		d.net = nil
		C.free(unsafe.Pointer(d.errBuf))
	}
	return nil
}
