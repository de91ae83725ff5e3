package detect

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"fmt"
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
	// FormatSSD is [1, 1, N, 7]: image id, class index, confidence, x1, y1,
	// x2, y2 (normalised), as OpenCV's DetectionOutput layer writes.
	FormatSSD = "ssd"
)

// DNNConfig describes a user-supplied model and how to run it.
type DNNConfig struct {
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
	// InputWidth and InputHeight are the network's input size in pixels.
	// They default to 640 × 640. The frame is stretched to it.
	InputWidth, InputHeight int
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
}

// DNN runs a model through OpenCV dnn on each frame (colour when the frame
// can provide it, else gray). It is called from one goroutine; Close frees
// the network.
type DNN struct {
	cfg     DNNConfig
	net     *C.pn_net
	errBuf  *C.char
	classes []string
	keep    []bool // by class index
	dets    []vision.Detection
	dims    [8]C.int // shape of the last output
	nd      C.int    // number of dims used
}

const errLen = 1024

// NewDNN checks cfg, verifies the model file's sha256 and loads it. Errors
// name the offending field; a model OpenCV cannot read is an error, not a
// crash.
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
	for i, c := range classes {
		keep[i] = len(cfg.Keep) == 0 || slices.Contains(cfg.Keep, c)
	}
	for _, k := range cfg.Keep {
		if !slices.Contains(classes, k) {
			return nil, fmt.Errorf("dnn: keep: class %q is not one of the model's classes", k)
		}
	}
	if err := verifySHA256(cfg.Model, cfg.SHA256); err != nil {
		return nil, err
	}
	d := &DNN{cfg: cfg, classes: classes, keep: keep, errBuf: (*C.char)(C.calloc(errLen, 1))}
	model := C.CString(cfg.Model)
	defer C.free(unsafe.Pointer(model))
	var config *C.char
	if cfg.Config != "" {
		config = C.CString(cfg.Config)
		defer C.free(unsafe.Pointer(config))
	}
	d.net = C.pn_net_open(model, config, d.errBuf, errLen)
	if d.net == nil {
		err := fmt.Errorf("dnn: model: OpenCV cannot load %s: %s", cfg.Model, C.GoString(d.errBuf))
		C.free(unsafe.Pointer(d.errBuf))
		return nil, err
	}
	return d, nil
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
// confidence threshold, NMS, class filter and masks.
func (d *DNN) Analyze(f *frame.Frame, r *vision.Result) error {
	img, err := f.BGR()
	if err != nil || img.Empty() {
		img = f.Gray
	}
	out, err := d.forward(img)
	if err != nil {
		return err
	}
	d.dets = d.dets[:0]
	if err := d.decode(out); err != nil {
		return err
	}
	for _, det := range nms(d.dets, d.cfg.NMS) {
		if !masked(det.Box, d.cfg.Masks) {
			r.Detections = append(r.Detections, det)
		}
	}
	return nil
}

// forward runs the network on img and returns its first output, which
// stays valid until the next call; d.dims holds its shape.
func (d *DNN) forward(img gocv.Mat) (out []float32, err error) {
	if img.Empty() || (img.Type() != gocv.MatTypeCV8UC1 && img.Type() != gocv.MatTypeCV8UC3) {
		return nil, fmt.Errorf("dnn: need an 8-bit gray or BGR frame, got type %v", img.Type())
	}
	data, err := img.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("dnn: frame: %w", err)
	}
	var p *C.float
	swap := C.int(1)
	if d.cfg.BGR {
		swap = 0
	}
	n := C.pn_net_forward(d.net, (*C.uchar)(unsafe.Pointer(&data[0])), C.int(img.Rows()), C.int(img.Cols()),
		C.int(img.Channels()), C.size_t(img.Step()), C.int(d.cfg.InputWidth), C.int(d.cfg.InputHeight),
		C.double(d.cfg.Scale), C.double(d.cfg.Mean), swap, &p, &d.dims[0], &d.nd, d.errBuf, errLen)
	if n < 0 {
		return nil, fmt.Errorf("dnn: forward: %s", C.GoString(d.errBuf))
	}
	if n == 0 {
		return nil, nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), int(n)), nil
}

// Close frees the network.
func (d *DNN) Close() error {
	if d.net != nil {
		C.pn_net_close(d.net)
		d.net = nil
		C.free(unsafe.Pointer(d.errBuf))
	}
	return nil
}
