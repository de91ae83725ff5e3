package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/agent/retry"
	"github.com/pantau/pantau/devices/rtsp"
	"github.com/pantau/pantau/vision"
)

// streamRunner runs one camera's stream: a supervised session (RTSP →
// pipeline → analyzers) reconnected with the shared retry policy. It owns
// the analyzers, which live as long as the camera, so a reconnect keeps
// the learnt background, the tracks and the tamper baseline. It reports
// state changes and stream details to a statusReporter and each analysed
// frame to onResult; it never publishes nor closes count intervals itself.
type streamRunner struct {
	cfg config.Camera // stream settings; fixed while the camera runs
	// loopFilter is the agent-wide decode.loop_filter.
	loopFilter string
	metrics    cameraMetrics
	log        *slog.Logger
	opts       analysis.Options
	status     *statusReporter
	// onResult runs on the pipeline's analyzer goroutine after every
	// analysed frame.
	onResult func(r *vision.Result)
	// analyzerFailed reports analyzer errors to the log summary.
	analyzerFailed func(analyzer string, err error)
	// failed logs a failed session, summarised.
	failed *logging.Repeated

	mu        sync.Mutex
	pipe      *pipeline.Pipeline
	analyzers []analysis.Analyzer
	tickers   []ticker
}

// ticker is an analyzer that also notices things when no frame comes
// (tamper's video loss); the camera's interval clock calls it every second.
type ticker interface {
	Tick(now time.Time) []vision.Event
}

// url returns the stream URL with the configured credentials in it.
func (s *streamRunner) url() string {
	return withCredentials(s.cfg.URL, s.cfg.Username, s.cfg.Password)
}

// run supervises the stream until ctx ends.
func (s *streamRunner) run(ctx context.Context) {
	s.status.setState(event.StateOffline, nil)
	analyzers, err := analysis.Build(s.cfg, s.opts)
	if err != nil {
		// A config the validator let through but the analyzers refuse (a
		// model file that does not load): retrying cannot help.
		s.status.setState(event.StateError, fmt.Errorf("analyzers: %w", err))
		s.log.Error("camera cannot start", "err", err)
		<-ctx.Done()
		return
	}
	logEngines(s.log, analyzers)
	s.setAnalyzers(analyzers)
	defer func() {
		// The set in use now: an analytics update may have replaced it.
		analysis.Close(s.setAnalyzers(nil))
	}()
	sv := retry.Supervisor{
		Session: s.session,
		Pause:   retryPause(s.cfg.AuthRetry),
		Failed: func(err error, pause time.Duration) {
			s.metrics.Reconnect()
			s.status.setState(stateFor(err), err)
			s.failed.Log("err", err, "retry_in", pause.Round(time.Millisecond))
		},
	}
	_ = sv.Run(ctx)
	s.status.setState(event.StateOffline, nil)
}

// setAnalyzers installs as (and their tickers) for the next sessions and
// returns the set it replaced. It does not touch a running pipeline.
func (s *streamRunner) setAnalyzers(as []analysis.Analyzer) (old []analysis.Analyzer) {
	var ts []ticker
	for _, a := range as {
		if t, ok := a.(ticker); ok {
			ts = append(ts, t)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old = s.analyzers
	s.analyzers, s.tickers = as, ts
	return old
}

// swapAnalyzers replaces the analyzers, in the running pipeline too,
// without touching the stream, and closes the old ones. An error leaves
// the camera to be restarted (the caller does), which closes what is
// installed then.
func (s *streamRunner) swapAnalyzers(fresh []analysis.Analyzer) error {
	s.mu.Lock()
	pipe := s.pipe
	s.mu.Unlock()
	old := s.setAnalyzers(fresh)
	if pipe != nil {
		// Returns once the analyzer goroutine no longer uses the old ones.
		if err := pipe.SetAnalyzers(analysis.Pipeline(fresh)); err != nil {
			return err
		}
	}
	analysis.Close(old)
	return nil
}

// tickerSet returns the analyzers that want a call every second.
func (s *streamRunner) tickerSet() []ticker {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tickers
}

// decodeMode is the running pipeline's decode mode, "" between sessions.
func (s *streamRunner) decodeMode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pipe == nil {
		return ""
	}
	return s.pipe.Mode()
}

// stateFor maps a session error to the state the command centre sees.
func stateFor(err error) string {
	if errors.Is(err, rtsp.ErrAuth) {
		return event.StateAuthFailed
	}
	return event.StateOffline
}

// session is one connection to the camera: it returns when the stream
// fails or ctx ends.
func (s *streamRunner) session(ctx context.Context) error {
	// Under s.mu so an analytics update cannot slip in between reading the
	// analyzers and publishing the pipeline that runs them.
	s.mu.Lock()
	p, err := pipeline.New(s.pipelineConfig(), analysis.Pipeline(s.analyzers), s.onResult, s.metrics, s.log)
	if err == nil {
		s.pipe = p
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	defer func() {
		s.mu.Lock()
		s.pipe = nil
		s.mu.Unlock()
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pipeDone := make(chan error, 1)
	go func() {
		err := p.Run(ctx)
		cancel() // a failed pipeline ends the session
		pipeDone <- err
	}()
	client := rtsp.New(rtsp.Config{
		URL:         s.url(),
		Transport:   s.cfg.Transport,
		ReadTimeout: s.cfg.ReadTimeout,
		DialTimeout: s.cfg.DialTimeout,
		OnInfo:      s.status.setInfo,
	}, func(au rtsp.AccessUnit) {
		p.Push(pipeline.AccessUnit{
			NALUs: au.NALUs, PTS: au.PTS, RandomAccess: au.RandomAccess,
			Received: au.Received, Codec: au.Codec,
		})
	})
	err = client.Run(ctx)
	if err == nil && ctx.Err() == nil {
		err = errors.New("stream ended")
	}
	cancel()
	if perr := <-pipeDone; perr != nil {
		return fmt.Errorf("pipeline: %w", perr)
	}
	return err
}

func (s *streamRunner) pipelineConfig() pipeline.Config {
	return pipeline.Config{
		AnalysisWidth: s.cfg.AnalysisWidth,
		FPS:           s.cfg.FPS,
		Decode:        s.cfg.Decode,
		Threads:       s.cfg.DecodeThreads,
		StallTimeout:  s.cfg.StallTimeout,
		LoopFilter:    s.loopFilter,
		NeedColour:    s.cfg.Detector.Type == config.DetectorDNN,

		AnalyzerFailed: s.analyzerFailed,
	}
}

// Long retry pauses for errors that retrying soon cannot fix.
const (
	// authGrowth multiplies the auth pause after each refused login, up
	// to maxAuthRetry: with the 5 min default, logins at 0, 5, 20 and
	// 65 min, so a camera that locks the account for 30 min after a few
	// failures sees at most three logins in the first hour.
	authGrowth   = 3
	maxAuthRetry = time.Hour
	// notFoundRetry is the first pause after a wrong path or a stream
	// without video; it doubles up to maxNotFoundRetry.
	notFoundRetry    = time.Minute
	maxNotFoundRetry = 10 * time.Minute
)

// retryPause is the camera's supervisor pause policy: ErrAuth waits
// authRetry, growing authGrowth-fold per refusal in a row (capped at an
// hour, or authRetry when larger); ErrNotFound and ErrNoVideo wait a
// minute, doubling up to ten; everything else takes the backoff.
func retryPause(authRetry time.Duration) func(err error, streak int) (time.Duration, bool) {
	return func(err error, streak int) (time.Duration, bool) {
		grow := func(first, factor, limit time.Duration) time.Duration {
			d := first
			for i := 1; i < streak && d < limit; i++ {
				d *= factor
			}
			return min(d, max(limit, first))
		}
		switch {
		case errors.Is(err, rtsp.ErrAuth):
			return grow(authRetry, authGrowth, maxAuthRetry), true
		case errors.Is(err, rtsp.ErrNotFound), errors.Is(err, rtsp.ErrNoVideo):
			return grow(notFoundRetry, 2, maxNotFoundRetry), true
		}
		return 0, false
	}
}
