package detect

// #include "shim.h"
import "C"

import (
	"fmt"

	"gocv.io/x/gocv"
)

// openXNN loads the model with XNNPACK unless the config asks for OpenCV.
// Under auto a graph XNNPACK cannot run is no error: d.xnn stays nil, the
// reason is kept for Engine, and OpenCV loads the model instead.
func (d *DNN) openXNN() error {
	cfg := &d.cfg
	if cfg.Engine == EngineOpenCV || (cfg.Engine != EngineXNNPACK && cfg.Config != "") {
		return nil
	}
	x, err := newXNN(cfg.Model, cfg.InputWidth, cfg.InputHeight)
	if err != nil {
		if cfg.Engine == EngineXNNPACK {
			return fmt.Errorf("model %s: detector engine xnnpack: %w (engine auto runs such models with OpenCV)", cfg.Name, err)
		}
		d.why = err.Error()
		return nil
	}
	d.xnn = x
	return nil
}

// Engine names the engine that runs the model (xnnpack or opencv) and,
// when auto chose OpenCV, why XNNPACK did not take it (for the log at
// start).
func (d *DNN) Engine() (engine, why string) {
	if d.xnn != nil {
		return EngineXNNPACK, ""
	}
	return EngineOpenCV, d.why
}

// forwardXNN is forward on XNNPACK: the same letterbox and pixels as
// OpenCV's path, outputs in the graph's order.
func (d *DNN) forwardXNN(img gocv.Mat, pad int) error {
	if err := d.xnn.forward(img, d.geo, pad, d.cfg.Scale, d.cfg.Mean, !d.cfg.BGR); err != nil {
		return err
	}
	d.outs, d.shapes = append(d.outs[:0], d.xnn.outs...), append(d.shapes[:0], d.xnn.shapes...)
	if len(d.outs) == 0 || len(d.outs[0]) == 0 {
		return fmt.Errorf("%w: the model gave no output", ErrBadOutput)
	}
	s := d.shapes[0]
	d.nd = 0
	for i := range min(len(s), len(d.dims)) {
		d.dims[i] = C.int(s[i])
		d.nd++
	}
	return nil
}
