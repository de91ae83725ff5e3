// Package snapshot encodes a camera's current frame as JPEG on request. The
// Snapshotter is the last analyzer of a camera's chain, so a snapshot shows
// the frame the other analyzers just looked at.
package snapshot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// Snapshotter encodes the next analysed frame for whoever waits in Take.
// When nobody asked it costs one atomic load per frame. Analyze is called
// from the camera's analyzer goroutine; Take from any goroutine. The zero
// value is ready to use.
type Snapshotter struct {
	pending atomic.Int32
	mu      sync.Mutex
	waiters []chan Result
}

// Result is one JPEG snapshot and the size and capture time of its frame.
type Result struct {
	JPEG          []byte
	Width, Height int
	Taken         time.Time
	err           error
}

// Name is the analyzer's name in metrics.
func (s *Snapshotter) Name() string { return "snapshot" }

// Close does nothing: a Snapshotter holds no native memory between
// frames, so closing it with a camera's chain is harmless and it can serve
// the next chain after a reload.
func (s *Snapshotter) Close() error { return nil }

// Analyze encodes f for the callers waiting in Take.
func (s *Snapshotter) Analyze(f *frame.Frame, _ *vision.Result) error {
	if s.pending.Load() == 0 {
		return nil
	}
	s.mu.Lock()
	waiters := s.waiters
	s.waiters = nil
	s.pending.Store(0)
	s.mu.Unlock()
	res := encodeJPEG(f)
	for _, w := range waiters {
		w <- res
	}
	return nil
}

// encodeJPEG prefers colour when the decoder can give it, else the luma
// plane.
func encodeJPEG(f *frame.Frame) Result {
	img := f.Gray
	if bgr, err := f.BGR(); err == nil && !bgr.Empty() {
		img = bgr
	}
	buf, err := gocv.IMEncode(gocv.JPEGFileExt, img)
	if err != nil {
		return Result{err: fmt.Errorf("encoding snapshot: %w", err)}
	}
	defer buf.Close()
	return Result{
		JPEG: append([]byte(nil), buf.GetBytes()...), Width: img.Cols(), Height: img.Rows(), Taken: f.Time,
	}
}

// Take waits for the next analysed frame and returns it as JPEG, or an
// error when ctx ends first.
func (s *Snapshotter) Take(ctx context.Context) (Result, error) {
	ch := make(chan Result, 1)
	s.mu.Lock()
	s.waiters = append(s.waiters, ch)
	s.pending.Store(1)
	s.mu.Unlock()
	select {
	case r := <-ch:
		return r, r.err
	case <-ctx.Done():
		return Result{}, fmt.Errorf("no frame within the timeout: %w", ctx.Err())
	}
}
