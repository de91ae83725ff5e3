package pipeline

import (
	"sync"
	"time"
)

// CPUGate bounds how many pipelines run CPU-heavy work — decoding an
// access unit, analysing a frame — at the same moment, and lets the most
// urgent waiting work go first. Without it every camera's decoder and
// analyzer thread is runnable at once and the kernel time-slices them all
// alike, so on a busy machine each picture's wall time stretches by the
// number of threads sharing a core, and a frame to analyse waits behind
// other cameras' pictures nobody looks at.
//
// Urgency is a deadline (earliest first): a picture to analyse, and its
// analysis, are due when the picture arrived; a picture decoded only as a
// reference is due when the next picture to analyse of its camera
// arrives, which is when it would start delaying one. Share one gate
// among all the cameras of a process. A nil *CPUGate does not limit.
type CPUGate struct {
	mu      sync.Mutex
	free    int
	waiting []*gateTicket
}

// gateTicket is one goroutine's place in the queue; each goroutine that
// uses the gate owns one, so waiting allocates nothing.
type gateTicket struct {
	due time.Time
	ch  chan struct{}
}

func newTicket() *gateTicket { return &gateTicket{ch: make(chan struct{}, 1)} }

// NewCPUGate returns a gate letting n pieces of work run at once (n < 1
// is taken as 1); runtime.GOMAXPROCS(0) is the natural n.
func NewCPUGate(n int) *CPUGate {
	return &CPUGate{free: max(n, 1)}
}

// enter waits until t may run work due at due.
func (g *CPUGate) enter(t *gateTicket, due time.Time) {
	if g == nil {
		return
	}
	g.mu.Lock()
	if g.free > 0 {
		g.free--
		g.mu.Unlock()
		return
	}
	t.due = due
	g.waiting = append(g.waiting, t)
	g.mu.Unlock()
	<-t.ch // the token is passed on by leave
}

// leave passes the token to the most urgent waiting work, or frees it.
func (g *CPUGate) leave() {
	if g == nil {
		return
	}
	g.mu.Lock()
	if len(g.waiting) == 0 {
		g.free++
		g.mu.Unlock()
		return
	}
	// A few waiters per camera at most: a scan beats a heap.
	best := 0
	for i, t := range g.waiting {
		if t.due.Before(g.waiting[best].due) {
			best = i
		}
	}
	t := g.waiting[best]
	last := len(g.waiting) - 1
	g.waiting[best] = g.waiting[last]
	g.waiting[last] = nil
	g.waiting = g.waiting[:last]
	g.mu.Unlock()
	t.ch <- struct{}{}
}
