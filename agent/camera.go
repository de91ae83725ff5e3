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
	"github.com/pantau/pantau/agent/detpool"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/live"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/devices/rtsp"
	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/snapshot"
)

// cameraMetrics is what a camera reports to Prometheus; agent/telemetry's
// per-camera metrics implement it.
type cameraMetrics interface {
	pipeline.Metrics
	StreamUp(up bool)
	Reconnect()
	LineCrossing(rule, direction, class string)
	ZoneOccupancy(zone, class string, n int)
	viewMetrics
}

// publisher takes messages for the command centre; it returns once a
// durable message is safe on disk.
type publisher interface {
	Publish(ctx context.Context, m event.Message) error
}

// deviceInfo is what ONVIF told us about a discovered camera.
type deviceInfo struct {
	Manufacturer, Model, Serial, Profile string
}

// camera runs one camera: a supervised stream session (RTSP → pipeline →
// analyzers), its aggregator, and its retained status. Methods are safe for
// concurrent use.
type camera struct {
	cfg config.Camera
	// loopFilter is the agent-wide decode.loop_filter.
	loopFilter string
	source     string // event.SourceConfig or event.SourceDiscovery
	device     deviceInfo
	site       string
	agent      string
	metrics    cameraMetrics
	pub        publisher
	log        *slog.Logger
	snaps      *snapshot.Snapshotter
	pool       *detpool.Pool // shared detector; nil runs a dnn camera's inline
	// tap feeds the web UI's live view; it runs after every analyzer.
	tap *live.Tap
	// pubFailed and dropsCounter feed the agent's log summary.
	pubFailed, dropsCounter *logging.Counter
	// occ is only touched by the analyzer goroutine (onResult).
	occ occupancyGauges

	mu        sync.Mutex
	agg       aggregator    // replaced by updateAnalytics
	current   config.Camera // cfg with analytics updates applied
	state     string
	lastErr   string
	info      rtsp.StreamInfo
	lastFrame time.Time
	fps       rateMeter
	published time.Time // last retained status sent
	pipe      *pipeline.Pipeline
	analyzers []analysis.Analyzer
	tickers   []ticker
	view      viewState
}

// ticker is an analyzer that also notices things when no frame comes
// (tamper's video loss); the camera calls it every second.
type ticker interface {
	Tick(now time.Time) []vision.Event
}

// aggregator turns per-frame results into events and counts
// (agent/aggregate).
type aggregator interface {
	Add(r *vision.Result)
	AddEvent(ev vision.Event)
	Tick(now time.Time)
	Flush(now time.Time)
}

// url returns the stream URL with the configured credentials in it.
func (c *camera) url() string {
	return withCredentials(c.cfg.URL, c.cfg.Username, c.cfg.Password)
}

// run supervises the camera's stream until ctx ends. The analyzers live as
// long as the camera, so a reconnect keeps the learnt background, the
// tracks and the tamper baseline, and video loss is noticed while the
// stream is down.
func (c *camera) run(ctx context.Context) {
	c.setState(event.StateOffline, nil)
	analyzers, err := analysis.Build(c.cfg, c.analysisOptions())
	if err != nil {
		// A config the validator let through but the analyzers refuse (a
		// model file that does not load): retrying cannot help.
		c.setState(event.StateError, fmt.Errorf("analyzers: %w", err))
		c.log.Error("camera cannot start", "err", err)
		<-ctx.Done()
		return
	}
	defer func() {
		// The set in use now: an analytics update may have replaced it.
		c.mu.Lock()
		as := c.analyzers
		c.analyzers, c.tickers = nil, nil
		c.mu.Unlock()
		analysis.Close(as)
	}()
	c.mu.Lock()
	c.analyzers = analyzers
	for _, a := range analyzers {
		if t, ok := a.(ticker); ok {
			c.tickers = append(c.tickers, t)
		}
	}
	c.mu.Unlock()
	s := supervisor{
		run:   c.session,
		pause: retryPause(c.cfg.AuthRetry),
		failed: func(err error, pause time.Duration) {
			c.metrics.Reconnect()
			c.setState(stateFor(err), err)
			c.log.Warn("camera stream failed; retrying", "err", err, "retry_in", pause.Round(time.Millisecond))
		},
	}
	_ = s.Run(ctx)
	c.setState(event.StateOffline, nil)
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
func (c *camera) session(ctx context.Context) error {
	// Under c.mu so an analytics update cannot slip in between reading the
	// analyzers and publishing the pipeline that runs them.
	c.mu.Lock()
	p, err := pipeline.New(c.pipelineConfig(), analysis.Pipeline(c.analyzers), c.onResult, c.metrics, c.log)
	if err == nil {
		c.pipe = p
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	defer func() {
		c.mu.Lock()
		c.pipe = nil
		c.mu.Unlock()
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
		URL:         c.url(),
		Transport:   c.cfg.Transport,
		ReadTimeout: c.cfg.ReadTimeout,
		DialTimeout: c.cfg.DialTimeout,
		OnInfo: func(info rtsp.StreamInfo) {
			c.mu.Lock()
			c.info = info
			c.mu.Unlock()
		},
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

func (c *camera) pipelineConfig() pipeline.Config {
	return pipeline.Config{
		AnalysisWidth: c.cfg.AnalysisWidth,
		FPS:           c.cfg.FPS,
		Decode:        c.cfg.Decode,
		Threads:       c.cfg.DecodeThreads,
		StallTimeout:  c.cfg.StallTimeout,
		LoopFilter:    c.loopFilter,
		NeedColour:    c.cfg.Detector.Type == config.DetectorDNN,
	}
}

// onResult runs on the pipeline's analyzer goroutine after every analysed
// frame.
func (c *camera) onResult(r *vision.Result) {
	c.mu.Lock()
	c.lastFrame = r.Time
	c.fps.Add(r.Time)
	agg := c.agg
	c.mu.Unlock()
	for i := range r.Events {
		ev := &r.Events[i]
		if ev.Type == vision.EventLineCross {
			c.metrics.LineCrossing(ev.Rule, ev.Direction, ev.Class)
		}
	}
	c.occ.update(r.Occupancy, c.metrics.ZoneOccupancy)
	c.noteView(r)
	agg.Add(r)
}

// occupancyGauges remembers the zone occupancy last set on the metrics, so
// a gauge is set only when its value changes, and a class whose last
// object left the zone (and so is missing from the zone's counts) goes
// back to 0 instead of keeping its last value. Used from the analyzer
// goroutine only.
type occupancyGauges map[string]map[string]int

func (g occupancyGauges) update(zones []vision.ZoneOccupancy, set func(zone, class string, n int)) {
	for _, z := range zones {
		last, ok := g[z.Zone]
		if !ok {
			last = map[string]int{}
			g[z.Zone] = last
		}
		for class, n := range z.ByClass {
			if v, seen := last[class]; !seen || v != n {
				last[class] = n
				set(z.Zone, class, n)
			}
		}
		for class, v := range last {
			if _, still := z.ByClass[class]; !still && v != 0 {
				last[class] = 0
				set(z.Zone, class, 0)
			}
		}
	}
}

// aggregator returns the camera's current aggregator.
func (c *camera) aggregator() aggregator {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.agg
}
