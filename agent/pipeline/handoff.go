package pipeline

import (
	"sync"
	"time"

	"github.com/pantau/pantau/vision/frame"
)

// handed is a decoded frame on its way to the analyzers, with when its
// unit's decoding started and ended (for Config.Timing).
type handed struct {
	f                    *frame.Frame
	decodeStart, decoded time.Time
}

// mailbox is the latest-wins hand-off from the decoder to the analyzers:
// it holds at most one frame; a new frame replaces (and releases) one the
// analyzers have not taken yet. It never blocks the decoder and never
// allocates.
type mailbox struct {
	mu     sync.Mutex
	h      handed
	closed bool
	ready  chan struct{} // capacity 1: a frame may be waiting
}

func newMailbox() *mailbox { return &mailbox{ready: make(chan struct{}, 1)} }

// put hands h.f over and reports whether it replaced a frame not taken
// (which it released). After close, h.f is released at once.
func (m *mailbox) put(h handed) (replaced bool) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		h.f.Release()
		return false
	}
	old := m.h.f
	m.h = h
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

// take waits for a frame; it returns one with a nil frame once the
// mailbox is closed.
func (m *mailbox) take() handed {
	for {
		m.mu.Lock()
		h, closed := m.h, m.closed
		m.h = handed{}
		m.mu.Unlock()
		if h.f != nil || closed {
			return h
		}
		<-m.ready
	}
}

// close wakes take, releases a frame not taken, and makes later puts
// release their frame.
func (m *mailbox) close() {
	m.mu.Lock()
	f := m.h.f
	m.h = handed{}
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
