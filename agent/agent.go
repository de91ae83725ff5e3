// Package agent wires cameras to pipelines and the publisher, supervises
// them (restart with backoff), applies config reloads camera by camera and
// owns shutdown.
//
// The shutdown order matters for "nothing lost": cameras stop first, their
// aggregators flush the partial counts interval into the spool, and only
// then does the MQTT client publish the agent's offline status and
// disconnect.
package agent

import (
	"context"
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/detpool"
	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/agent/live"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/publish/mqtt"
	"github.com/pantau/pantau/agent/telemetry"
	"github.com/pantau/pantau/agent/web"
	"github.com/pantau/pantau/vision/detect"
)

// Options configures an Agent. Config is required.
type Options struct {
	// Config is the validated configuration to start with.
	Config *config.Config
	// ConfigPath is the file Config came from; reloads (SIGHUP, the reload
	// command, a change of the file) read it again. Empty disables reloads
	// from file.
	ConfigPath string
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Registry receives the metrics; nil makes a new one.
	Registry *prometheus.Registry
	// Version is reported in metrics and the agent status.
	Version string
}

// Agent runs every configured camera and publishes what they see.
type Agent struct {
	opts    Options
	log     *slog.Logger
	reg     *prometheus.Registry
	metrics *telemetry.Metrics
	mq      *mqtt.Client
	// pub is where cameras publish: mq (a test may wrap it).
	pub     publisher
	auth    *httpauth.Auth
	live    *live.Hub
	sum     *logging.Summariser
	pool    *detpool.Pool // nil when no camera uses the shared detector
	started time.Time

	mu   sync.Mutex
	cfg  *config.Config
	cams map[string]*running
	// authFailed are discovered cameras that refused our credentials,
	// reported once until that changes.
	authFailed map[string]bool

	reloads chan chan error
}

// running is a camera with the means to stop it.
type running struct {
	cam    *camera
	cancel context.CancelFunc
	done   chan struct{}
	// misses counts discovery rounds in a row that did not see a
	// discovered camera (guarded by Agent.mu).
	misses int
}

// New checks the options and prepares the agent; Run starts it.
func New(opts Options) (*Agent, error) {
	if opts.Config == nil {
		return nil, errors.New("agent: no config")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := telemetry.New(reg, opts.Version)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	cfg := opts.Config
	// Refuse to start a listener off loopback without credentials, before
	// anything else runs.
	auth, err := httpauth.New(cfg.HTTP.AuthConfig())
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	// One summariser for every repeated warning, the publisher's too.
	sum := logging.NewSummariser(opts.Log, 10*time.Second)
	mc := mqttConfig(cfg)
	mc.Summary = sum
	mq, err := mqtt.New(mc, m.MQTT(), opts.Log.With("component", "mqtt"))
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	a := &Agent{
		auth: auth, live: live.NewHub(), opts: opts, log: opts.Log, reg: reg, metrics: m, mq: mq, pub: mq,
		sum: sum, started: time.Now(), cfg: cfg, cams: map[string]*running{}, authFailed: map[string]bool{},
		reloads: make(chan chan error),
	}
	// One OpenCV thread per camera: each camera's analysis already runs on
	// its own goroutine, and OpenCV's shared worker threads only add
	// hand-offs and spinning around small 640 px frames (about −3 % CPU
	// per camera in `pantau bench`, see docs/performance.md). Process-wide.
	detect.SetOpenCVThreads(1)
	if a.pool, err = newPool(cfg, m.Detector(), opts.Log); err != nil {
		return nil, fmt.Errorf("detector pool: %w", err)
	}
	mq.SetStatus(a.agentStatus)
	mq.HandleCommands(&commands{a: a})
	return a, nil
}

// Registry is where the agent's metrics live.
func (a *Agent) Registry() *prometheus.Registry { return a.reg }

// Run runs the agent until ctx is cancelled, then shuts down in order and
// returns nil; it returns an error only when it cannot start.
func (a *Agent) Run(ctx context.Context) error {
	cfg := a.config()
	a.metrics.ConfigLoaded(true)
	mqCtx, mqCancel := context.WithCancel(context.Background())
	defer mqCancel()
	mqDone := make(chan error, 1)
	go func() { mqDone <- a.mq.Run(mqCtx) }()

	httpCtx, httpCancel := context.WithCancel(context.Background())
	defer httpCancel()
	srv := telemetry.NewServer(cfg.HTTP.Listen, a.reg, a.metrics.Ready(telemetry.ReadyOptions{
		SpoolDir: cfg.Spool.Dir, SpoolMaxBytes: int64(cfg.Spool.MaxBytes),
	}), a.log.With("component", "http"))
	srv.Guard(a.auth.Require, cfg.HTTP.MetricsOpen, func() (net.Listener, error) {
		return httpauth.Listen(cfg.HTTP.AuthConfig())
	})
	srv.Handle("/snapshot/", snapshotHandler(a))
	web.New(webBackend{a}, a.auth, a.log.With("component", "web")).Register(srv)
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Run(httpCtx) }()
	select {
	case err := <-httpDone:
		if err != nil {
			mqCancel()
			<-mqDone
			return fmt.Errorf("http server on %s: %w", cfg.HTTP.Listen, err)
		}
	case <-time.After(50 * time.Millisecond):
	}

	poolCtx, poolCancel := context.WithCancel(context.Background())
	defer poolCancel()
	poolDone := make(chan error, 1)
	go func() {
		if a.pool == nil {
			poolDone <- nil
			return
		}
		poolDone <- a.pool.Run(poolCtx)
	}()

	sumCtx, sumCancel := context.WithCancel(context.Background())
	defer sumCancel()
	sumDone := make(chan error, 1)
	go func() { sumDone <- a.sum.Run(sumCtx) }()

	a.applyCameras(ctx, cfg)
	a.log.Info("agent started", "site", cfg.Site, "agent", cfg.Agent, "cameras", len(cfg.Cameras),
		"mqtt", urlcred.RedactText(cfg.MQTT.URL), "http", cfg.HTTP.Listen)

	discCtx, discCancel := context.WithCancel(ctx)
	discDone := make(chan struct{})
	go func() {
		defer close(discDone)
		if cfg.Discovery.Enabled {
			a.runDiscovery(discCtx)
		}
	}()
	stopReload := a.watchReloads(ctx)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case reply := <-a.reloads:
			reply <- a.reload(ctx)
		}
	}
	stopReload()
	discCancel()
	<-discDone
	a.stopAll()
	// The cameras are gone, so nothing submits any more.
	poolCancel()
	<-poolDone
	if a.pool != nil {
		a.pool.Close()
	}
	mqCancel()
	err := <-mqDone
	// Last: the publisher's shutdown may still have had something to say.
	sumCancel()
	<-sumDone
	httpCancel()
	<-httpDone
	a.log.Info("agent stopped")
	return err
}

func (a *Agent) config() *config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

// startCamera starts one camera under ctx. a.mu must be held.
func (a *Agent) startCamera(ctx context.Context, cfg *config.Config, cc config.Camera, source string, dev deviceInfo) {
	d := cameraDeps{
		site: cfg.Site, agent: cfg.Agent, loopFilter: cfg.Decode.LoopFilter, aggregate: aggregateConfig(cfg, cc),
		metrics: a.metrics.Camera(cc.Name), pub: a.pub, log: a.log.With("camera", cc.Name), sum: a.sum,
		analysis: analysis.Options{Pool: a.pool, Last: a.live.Tap(cc.Name), Engine: cfg.Detector.Engine},
	}
	c := newCamera(cc, source, dev, d)
	cctx, cancel := context.WithCancel(ctx)
	r := &running{cam: c, cancel: cancel, done: make(chan struct{})}
	a.cams[cc.Name] = r
	go func() {
		defer close(r.done)
		c.run(cctx)
	}()
}

// stop stops one running camera and flushes its partial counts.
func (r *running) stop() {
	r.cancel()
	<-r.done
	r.cam.stop()
}

func (a *Agent) stopAll() {
	a.mu.Lock()
	cams := a.cams
	a.cams = map[string]*running{}
	a.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.stop()
		}()
	}
	wg.Wait()
}
