package agent

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

// snapshotter is the last analyzer of a camera: when someone asked for a
// snapshot it encodes the current frame as JPEG (colour when the decoder
// can give it, else the luma plane). Otherwise it costs one atomic load per
// frame.
type snapshotter struct {
	pending atomic.Int32
	mu      sync.Mutex
	waiters []chan snapshotResult
}

type snapshotResult struct {
	jpeg          []byte
	width, height int
	taken         time.Time
	err           error
}

// Name is the analyzer's name in metrics.
func (s *snapshotter) Name() string { return "snapshot" }

// Close does nothing; it is there for the analyzer interface.
func (s *snapshotter) Close() error { return nil }

// Analyze encodes f for the callers waiting in Take.
func (s *snapshotter) Analyze(f *frame.Frame, _ *vision.Result) error {
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

func encodeJPEG(f *frame.Frame) snapshotResult {
	img := f.Gray
	if bgr, err := f.BGR(); err == nil && !bgr.Empty() {
		img = bgr
	}
	buf, err := gocv.IMEncode(gocv.JPEGFileExt, img)
	if err != nil {
		return snapshotResult{err: fmt.Errorf("encoding snapshot: %w", err)}
	}
	defer buf.Close()
	return snapshotResult{
		jpeg: append([]byte(nil), buf.GetBytes()...), width: img.Cols(), height: img.Rows(), taken: f.Time,
	}
}

// Take waits for the next analysed frame and returns it as JPEG.
func (s *snapshotter) Take(ctx context.Context) (snapshotResult, error) {
	ch := make(chan snapshotResult, 1)
	s.mu.Lock()
	s.waiters = append(s.waiters, ch)
	s.pending.Store(1)
	s.mu.Unlock()
	select {
	case r := <-ch:
		return r, r.err
	case <-ctx.Done():
		return snapshotResult{}, fmt.Errorf("no frame within the timeout: %w", ctx.Err())
	}
}
