package decode

// #include "avdec.h"
import "C"

import (
	"errors"
	"sync"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision/frame"
)

// errNoColour is what Frame.BGR returns when the decoder did not keep
// colour for the frame.
var errNoColour = errors.New("decode: colour not kept for this frame (set decode.Options.Colour)")

func noColour(*gocv.Mat) error { return errNoColour }

// slot is a pooled frame with the Mats that hold its colour.
type slot struct {
	f       *frame.Frame
	u, v    gocv.Mat // chroma at half analysis size, when Options.Colour
	scratch gocv.Mat // I420 buffer for the BGR conversion
	pool    *framePool
	makeBGR func(*gocv.Mat) error
}

func (s *slot) bgr(dst *gocv.Mat) error {
	if C.i420_to_bgr(unsafe.Pointer(s.f.Gray.Ptr()), unsafe.Pointer(s.u.Ptr()), unsafe.Pointer(s.v.Ptr()),
		unsafe.Pointer(s.scratch.Ptr()), unsafe.Pointer(dst.Ptr())) != 0 {
		return errors.New("decode: colour conversion failed")
	}
	return nil
}

func (s *slot) close() {
	s.f.Close()
	s.u.Close()
	s.v.Close()
	s.scratch.Close()
}

// framePool hands out at most max frames; frames come back on Release,
// from any goroutine.
type framePool struct {
	mu     sync.Mutex
	free   []*slot
	n, max int
	closed bool
}

func newFramePool(max int) *framePool {
	return &framePool{max: max, free: make([]*slot, 0, max)}
}

// get returns a free slot, making one while fewer than max exist, or nil.
func (p *framePool) get() *slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	if p.n >= p.max || p.closed {
		return nil
	}
	p.n++
	s := &slot{pool: p, u: gocv.NewMat(), v: gocv.NewMat(), scratch: gocv.NewMat()}
	s.makeBGR = s.bgr
	s.f = frame.New(nil, func(*frame.Frame) { p.put(s) })
	return s
}

func (p *framePool) put(s *slot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		s.close()
		return
	}
	p.free = append(p.free, s)
}

// close frees the free slots; slots still out are freed when put back.
func (p *framePool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, s := range p.free {
		s.close()
	}
	p.free = nil
}
