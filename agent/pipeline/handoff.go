package pipeline

import (
	"sync"

	"github.com/pantau/pantau/vision/frame"
)

// mailbox is the latest-wins hand-off from the decoder to the analyzers:
// it holds at most one frame; a new frame replaces (and releases) one the
// analyzers have not taken yet. It never blocks the decoder and never
// allocates.
type mailbox struct {
	mu     sync.Mutex
	f      *frame.Frame
	closed bool
	ready  chan struct{} // capacity 1: a frame may be waiting
}

func newMailbox() *mailbox { return &mailbox{ready: make(chan struct{}, 1)} }

// put hands f over and reports whether it replaced a frame not taken
// (which it released). After close, f is released at once.
func (m *mailbox) put(f *frame.Frame) (replaced bool) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		f.Release()
		return false
	}
	old := m.f
	m.f = f
	m.mu.Unlock()
	if old != nil {
		old.Release()
	}
	select {
	case m.ready <- struct{}{}:
	default:
	}
	return old != nil
}

// take waits for a frame; it returns nil once the mailbox is closed.
func (m *mailbox) take() *frame.Frame {
	for {
		m.mu.Lock()
		f, closed := m.f, m.closed
		m.f = nil
		m.mu.Unlock()
		if f != nil || closed {
			return f
		}
		<-m.ready
	}
}

// close wakes take, releases a frame not taken, and makes later puts
// release their frame.
func (m *mailbox) close() {
	m.mu.Lock()
	f := m.f
	m.f = nil
	m.closed = true
	m.mu.Unlock()
	if f != nil {
		f.Release()
	}
	select {
	case m.ready <- struct{}{}:
	default:
	}
}
