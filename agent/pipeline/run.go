package pipeline

import (
	"context"
	"sync"
	"time"

	"github.com/pantau/pantau/vision"
)

// Run decodes and analyses until ctx is cancelled, then returns nil after
// its goroutines ended and the decoder and frames were freed. It returns
// an error when the decoder cannot be opened or fails for good, or one
// wrapping ErrStalled when no picture was decoded for the stall timeout.
// Call it once.
func (p *Pipeline) Run(ctx context.Context) error {
	if !p.started.CompareAndSwap(false, true) {
		return errRunTwice
	}
	s, err := p.newStage()
	if err != nil {
		return err
	}
	mb := newMailbox()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var r vision.Result
		t := newTicket()
		for h := mb.take(); h.f != nil; h = mb.take() {
			p.analyse(h, &r, true, t)
			h.f.Release()
		}
	}()
	err = p.decodeLoop(ctx, s, mb)
	mb.close()
	wg.Wait()
	s.close()
	if p.ownFailed != nil {
		p.ownFailed.Remove()
	}
	for {
		select {
		case <-p.queue:
		default:
			return err
		}
	}
}

// decodeLoop takes units from the queue until ctx is done.
func (p *Pipeline) decodeLoop(ctx context.Context, s *stage, mb *mailbox) error {
	// Not locked to an OS thread: libavcodec runs on the decoder's own
	// thread and this goroutine waits for it in the netpoller; a locked
	// goroutine would need its own thread woken for every picture.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	// Drops are not logged here: every drop goes to Metrics.FrameDropped,
	// and the agent's one log summariser reports them (logging twice was
	// a debt).
	var lastDrops uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case au := <-p.queue:
			if s.dropStale(au, time.Now()) {
				continue
			}
			h, err := s.handle(au)
			if err != nil {
				return err
			}
			if h.f != nil && mb.put(h) {
				p.drop(DropAnalyzerBusy)
			}
		case now := <-tick.C:
			p.st.updateRates(now)
			if p.cfg.StallTimeout >= 0 {
				if err := s.stalled(now); err != nil {
					return err
				}
			}
			drops := p.st.dropped[0].Load() + p.st.dropped[3].Load() // DropQueueFull, DropStale
			headroom := p.cfg.Headroom()
			if p.cfg.Decode == ModeAuto {
				mode := s.ctl.tick(now, drops > lastDrops, headroom)
				why := "keyframes give the analysis rate"
				switch {
				case s.ctl.down:
					why = "frames dropped: decoder behind"
				case mode == ModeFull:
					why = "analysis rate above the keyframe rate, CPU headroom"
				}
				s.setMode(mode, why)
			}
			lastDrops = drops
		}
	}
}
