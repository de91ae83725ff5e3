package fgmask

// #cgo pkg-config: opencv4
// #cgo CXXFLAGS: -std=c++17
// #include "mog2.h"
import "C"

import (
	"errors"
	"unsafe"

	"gocv.io/x/gocv"
)

// mog2 is OpenCV's MOG2 (no shadows) with the learning rate chosen per
// frame: gocv's wrapper always lets OpenCV choose it, and a frame that
// comes after skipped still frames must be learnt as all of them.
type mog2 struct{ p *C.pn_mog2 }

func newMOG2(history int, varThreshold float64) (mog2, error) {
	p := C.pn_mog2_new(C.int(history), C.double(varThreshold))
	if p == nil {
		return mog2{}, errors.New("fgmask: OpenCV could not make a MOG2 model")
	}
	return mog2{p}, nil
}

// apply learns src at rate (negative: OpenCV's own) and writes the
// foreground mask to dst.
func (m mog2) apply(src gocv.Mat, dst *gocv.Mat, rate float64) error {
	if C.pn_mog2_apply(m.p, unsafe.Pointer(src.Ptr()), unsafe.Pointer(dst.Ptr()), C.double(rate)) != 0 {
		return errors.New("fgmask: MOG2 failed on the frame")
	}
	return nil
}

func (m mog2) close() { C.pn_mog2_close(m.p) }

// catchUpRate is the learning rate that makes one frame weigh as much in
// the model as n+1 frames learnt one by one at OpenCV's own rates
// (1/min(2k, history) for the k-th frame of the model), the last of them
// the model's frame `frame`: 1 − Π(1 − rate_k). With n = 0 it is OpenCV's
// own rate for that frame. Kept below 1, which would restart the model.
func catchUpRate(frame, n, history int) float64 {
	keep := 1.0
	for k := frame - n; k <= frame && keep > 1e-6; k++ {
		if k < 1 {
			continue
		}
		keep *= 1 - 1/float64(min(2*k, history))
	}
	return min(1-keep, 0.999)
}
