package pipeline

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/clip"
)

// RunFile runs the frame path on a video file as fast as the CPU allows
// (no real-time pacing, nothing dropped): every picture the decode mode
// needs is decoded and the analyzers run at cfg.FPS by stream time, so the
// same file gives the same results on every run. Frame times are
// cfg.FileStart + PTS. It is for `pantau eval` and benchmarks; cfg.Codec
// is taken from the file. It returns the pipeline's counters.
func RunFile(ctx context.Context, path string, cfg Config, analyzers []Analyzer, onResult func(*vision.Result)) (Stats, error) {
	r, err := clip.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer r.Close()
	cfg.Codec = r.Codec()
	// A file has no deadlines: nothing to yield the CPU to within it, and
	// a nicer thread would only make it slower on a busy machine.
	cfg.ReferenceNice = -1
	if cfg.FileStart.IsZero() {
		cfg.FileStart = time.Unix(0, 0).UTC()
	}
	p, err := New(cfg, analyzers, onResult, nil, nil)
	if err != nil {
		return Stats{}, err
	}
	p.started.Store(true)
	s, err := p.newStage()
	if err != nil {
		return Stats{}, err
	}
	defer s.close()
	if p.ownFailed != nil {
		defer p.ownFailed.Remove()
	}
	var res vision.Result
	for {
		if err := ctx.Err(); err != nil {
			return p.Stats(), err
		}
		au, err := r.Next()
		if errors.Is(err, io.EOF) {
			return p.Stats(), nil
		}
		if err != nil {
			return p.Stats(), err
		}
		p.st.received.Add(1)
		h, err := s.handle(AccessUnit{NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess,
			Received: p.cfg.FileStart.Add(au.PTS)})
		if err != nil {
			return p.Stats(), err
		}
		if h.f != nil {
			p.analyse(h, &res, false, s.ticket)
			h.f.Release()
		}
		if p.cfg.Decode == ModeAuto && au.RandomAccess {
			// No CPU pressure in a file: only the keyframe-rate rule.
			mode := ModeFull
			if s.ctl.keyframesEnough() {
				mode = ModeKeyframes
			}
			s.setMode(mode, "keyframe rate")
		}
	}
}
