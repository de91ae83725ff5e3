package pipeline

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCPUGateOrder: waiting work gets the token earliest deadline first,
// whatever order it came in.
func TestCPUGateOrder(t *testing.T) {
	g := NewCPUGate(1)
	g.enter(newTicket(), time.Time{})
	base := time.Now()
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	waitFor := func(n int) {
		for {
			g.mu.Lock()
			w := len(g.waiting)
			g.mu.Unlock()
			if w == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i, d := range []int{3, 1, 2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.enter(newTicket(), base.Add(time.Duration(d)*time.Millisecond))
			mu.Lock()
			order = append(order, d)
			mu.Unlock()
			g.leave()
		}()
		waitFor(i + 1) // each comes after the one before waits
	}
	g.leave()
	wg.Wait()
	if len(order) != 3 || order[0] != 1 || order[1] != 2 || order[2] != 3 {
		t.Errorf("order %v, want [1 2 3]", order)
	}
	if g.free != 1 {
		t.Errorf("%d tokens free at the end, want 1", g.free)
	}
}

// TestCPUGateBound: never more than n pieces of work at once, and all of
// them run.
func TestCPUGateBound(t *testing.T) {
	g := NewCPUGate(2)
	var running, peak, done atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := newTicket()
			for range 50 {
				g.enter(tk, time.Now())
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(50 * time.Microsecond)
				running.Add(-1)
				done.Add(1)
				g.leave()
			}
		}()
	}
	wg.Wait()
	if peak.Load() > 2 || done.Load() != 400 {
		t.Errorf("peak %d at once (want ≤ 2), %d done (want 400)", peak.Load(), done.Load())
	}
	var nilGate *CPUGate
	nilGate.enter(nil, time.Time{}) // no limit, no panic
	nilGate.leave()
}

func TestUntilNext(t *testing.T) {
	g := rateGate{interval: 200 * time.Millisecond}
	if d := g.untilNext(time.Second); d != 0 {
		t.Errorf("before the schedule: %v", d)
	}
	g.want(time.Second) // slot 0 starts at 1 s
	for pts, want := range map[time.Duration]time.Duration{
		1040 * time.Millisecond: 160 * time.Millisecond,
		1200 * time.Millisecond: 200 * time.Millisecond,
		1360 * time.Millisecond: 40 * time.Millisecond,
		960 * time.Millisecond:  40 * time.Millisecond, // reordered, before the origin
	} {
		if d := g.untilNext(pts); d != want {
			t.Errorf("untilNext(%v) = %v, want %v", pts, d, want)
		}
	}
}
