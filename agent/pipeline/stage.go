package pipeline

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/decode"
)

// stage is the decoding side of a pipeline: decoder, analysis-rate gate
// and decode-mode control. It is used from one goroutine.
type stage struct {
	p      *Pipeline
	dec    *decode.Decoder
	gate   rateGate
	clock  wallClock
	ctl    modeControl
	lastRA time.Duration
	haveRA bool
	seen   decode.Stats // decoder counters already reported
	stale  bool         // full mode after a stale drop: wait for random access
	dog    watchdog
	ticket *gateTicket // place in Config.CPU's queue
}

// dropStale drops units that waited longer than MaxDelay and, in full
// mode, the units after them up to the next random-access unit (they
// would reference a picture that was never decoded). It reports whether
// au was dropped.
func (s *stage) dropStale(au AccessUnit, now time.Time) bool {
	late := !au.Received.IsZero() && now.Sub(au.Received) > s.p.cfg.MaxDelay
	if !late && (au.RandomAccess || !s.stale) {
		s.stale = false
		return false
	}
	s.p.drop(DropStale)
	if s.p.Mode() != ModeKeyframes {
		s.stale = true
	}
	return true
}

// newStage returns the decoding stage. Its decoder is opened for the
// codec of the first access unit (the camera's SDP track), so an H.265
// camera never opens an H.264 decoder first; until then the watchdog
// and the mode control run without one.
func (p *Pipeline) newStage() (*stage, error) {
	s := &stage{p: p, dog: watchdog{limit: p.cfg.StallTimeout}, ticket: newTicket()}
	s.dog.start(time.Now())
	s.gate.interval = time.Duration(float64(time.Second) / p.cfg.FPS)
	s.ctl = modeControl{fps: p.cfg.FPS, pressureTicks: p.cfg.PressureSeconds, minHold: p.cfg.MinHold, maxHold: p.cfg.MaxHold,
		rnd: rand.Float64}
	p.m.DecodeMode(p.Mode())
	return s, nil
}

// handle decodes au and returns the frame to analyse, if any. Errors other
// than corrupt input and an exhausted frame pool are fatal.
func (s *stage) handle(au AccessUnit) (handed, error) {
	if s.dec == nil {
		if err := s.open(au.Codec); err != nil {
			return handed{}, err
		}
	}
	if au.Codec != "" && au.Codec != s.dec.Codec() {
		if err := s.dec.SetCodec(au.Codec); err != nil {
			return handed{}, err
		}
		s.gate.reset()
		s.haveRA, s.ctl.gop = false, 0
	}
	if au.RandomAccess {
		if s.haveRA && au.PTS > s.lastRA {
			s.ctl.gop = au.PTS - s.lastRA
		}
		s.lastRA, s.haveRA = au.PTS, true
	}
	// Behind: units wait in the queue, so a wanted picture may wait
	// behind this one; decoded at the normal priority even if unwanted.
	du := decode.AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess, Time: s.clock.at(au.PTS, au.Received),
		Arrived: au.Received, Behind: len(s.p.queue) > 0}
	want := !s.dec.Skips(du) && s.gate.want(au.PTS)
	due := au.Received
	if !want && !due.IsZero() {
		due = due.Add(s.gate.untilNext(au.PTS))
	}
	s.p.cfg.CPU.enter(s.ticket, due)
	start := time.Now()
	f, err := s.dec.Decode(du, want)
	s.p.cfg.CPU.leave()
	end := time.Now()
	s.report(end.Sub(start))
	switch {
	case errors.Is(err, decode.ErrNoFrame):
		s.p.drop(DropNoFrame)
	case err != nil && !errors.Is(err, decode.ErrCorrupt):
		return handed{}, err
	}
	if f != nil {
		f.Time = s.clock.monotonic(f.Time)
	}
	return handed{f: f, decodeStart: start, decoded: end}, nil
}

// open opens the decoder for codec ("" means Config.Codec).
func (s *stage) open(codec string) error {
	if codec == "" {
		codec = s.p.cfg.Codec
	}
	dec, err := decode.New(decode.Options{
		Codec:         codec,
		AnalysisWidth: s.p.cfg.AnalysisWidth,
		Threads:       s.p.cfg.Threads,
		KeyframesOnly: s.p.Mode() == ModeKeyframes,
		Colour:        s.p.cfg.NeedColour,
		KeepGoing:     !s.p.cfg.ResyncOnLoss,
		LoopFilter:    s.p.cfg.LoopFilter,
		ReferenceNice: s.p.cfg.ReferenceNice,
	})
	if err != nil {
		return err
	}
	s.dec = dec
	return nil
}

// report passes the decoder's new pictures and errors to the metrics.
func (s *stage) report(took time.Duration) {
	st := s.dec.Stats()
	p := s.p
	if n := st.Pictures - s.seen.Pictures; n > 0 {
		p.st.decoded.Add(n)
		p.m.FrameDecoded(took)
		s.dog.picture(time.Now(), s.counts())
	}
	p.st.skipped.Add(st.NotKey + st.NonRef - s.seen.NotKey - s.seen.NonRef)
	p.st.decodeCPU.Add(int64(st.CPU - s.seen.CPU))
	for n := st.Errors - s.seen.Errors; n > 0; n-- {
		p.st.decodeErrs.Add(1)
		p.m.DecodeError()
	}
	s.seen = st
}

// setMode switches the decoder to mode ("full" or "keyframes").
func (s *stage) setMode(mode, why string) {
	if mode == s.p.Mode() {
		return
	}
	if s.dec != nil {
		s.dec.SetKeyframesOnly(mode == ModeKeyframes)
	}
	s.p.keyOnly.Store(mode == ModeKeyframes)
	s.p.mode.Store(mode)
	s.p.m.DecodeMode(mode)
	s.p.log.Info("decode mode changed", "mode", mode, "reason", why)
}

func (s *stage) close() {
	if s.dec != nil {
		s.dec.Close()
	}
}

// counts returns the counters the watchdog explains a stall with.
func (s *stage) counts() counts {
	c := counts{units: s.p.st.received.Load()}
	if s.dec != nil {
		st := s.dec.Stats()
		c.waitingKey, c.errors = st.WaitingKey, st.Errors
	}
	return c
}

// stalled returns an error wrapping ErrStalled when the session yielded
// no picture for the stall timeout.
func (s *stage) stalled(now time.Time) error {
	return s.dog.check(now, s.ctl.gop, s.counts())
}

// analyse runs the analyzers on h.f and calls onResult. It is called
// from one goroutine, t being its place in Config.CPU's queue; errors are
// counted and reported to p.failed. live: a camera's frame (latency and
// Config.Timing), not a file's.
func (p *Pipeline) analyse(h handed, r *vision.Result, live bool, t *gateTicket) {
	f := h.f
	p.anMu.Lock()
	defer p.anMu.Unlock()
	p.cfg.CPU.enter(t, f.Arrived)
	defer p.cfg.CPU.leave()
	started := time.Now()
	r.Reset(f.Time)
	for _, a := range p.analyzers {
		start := time.Now()
		err := a.Analyze(f, r)
		p.m.FrameAnalysed(a.Name(), time.Since(start))
		if err != nil {
			p.st.analyzerErrs.Add(1)
			p.failed(a.Name(), err)
		}
	}
	if p.onResult != nil {
		p.onResult(r)
	}
	p.st.analysed.Add(1)
	p.st.lastFrame.Store(f.Time.UnixNano())
	if !live || f.Arrived.IsZero() {
		return
	}
	done := time.Now()
	p.st.addLatency(done.Sub(f.Arrived))
	if p.cfg.Timing != nil {
		p.cfg.Timing(Timing{Arrived: f.Arrived, DecodeStart: h.decodeStart, Decoded: h.decoded,
			AnalysisStart: started, Done: done})
	}
}
