package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/aggregate"
	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/pipeline"
	"github.com/pantau/pantau/devices/urlcred"
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

// camera is one camera as three parts, each on its own goroutine: the
// stream runner (supervised RTSP session, pipeline, analyzers), the status
// reporter (retained status on its own clock) and the interval clock
// (aggregation; closes count intervals on its own clock). A stuck publish
// holds only the part that made it: a slow status publish delays neither
// stream nor counts, and no camera waits for another's. (A stuck interval
// close holds its aggregator, so that camera's analysis waits for it and
// drops frames as analyzer_busy, counted.) The fields are set once by
// newCamera.
type camera struct {
	cfg    config.Camera // as started; the stream settings never change
	source string        // event.SourceConfig or event.SourceDiscovery
	device deviceInfo
	snaps  *snapshot.Snapshotter
	stream *streamRunner
	report *statusReporter
	counts *intervalClock
	// warnings are the camera's lines in the agent's log summary.
	warnings cameraWarnings
}

// cameraWarnings are a camera's repeated warnings, each logged through the
// agent's one summariser at most once per period.
type cameraWarnings struct {
	drops        *logging.Counter  // frames dropped, any reason
	pubFailed    *logging.Counter  // publish failures the publisher does not summarise
	analyzerErrs *logging.Repeated // an analyzer returned an error
	streamFailed *logging.Repeated // the stream session ended; retrying
	statusFailed *logging.Repeated // the retained status was not sent
}

func newCameraWarnings(sum *logging.Summariser, name string) cameraWarnings {
	return cameraWarnings{
		drops:        sum.Counter("dropped %d frames in the last %s", "camera", name),
		pubFailed:    sum.Counter("could not publish %d messages in the last %s", "camera", name),
		analyzerErrs: sum.Repeated(0, "analyzer failed", "camera", name),
		streamFailed: sum.Repeated(time.Minute, "camera stream failed; retrying", "camera", name),
		statusFailed: sum.Repeated(0, "publishing camera status", "camera", name),
	}
}

// remove logs what is pending and unregisters the warnings.
func (w cameraWarnings) remove() {
	w.drops.Remove()
	w.pubFailed.Remove()
	w.analyzerErrs.Remove()
	w.streamFailed.Remove()
	w.statusFailed.Remove()
}

// cameraDeps is what a camera takes from the agent.
type cameraDeps struct {
	site, agent string
	loopFilter  string
	aggregate   aggregate.Config
	metrics     cameraMetrics
	pub         publisher
	log         *slog.Logger
	sum         *logging.Summariser
	// analysis is the shared detector, and in Last the web UI's live tap,
	// which the camera runs after its own snapshotter.
	analysis analysis.Options
}

// newCamera wires a camera's parts; run starts them.
func newCamera(cc config.Camera, source string, dev deviceInfo, d cameraDeps) *camera {
	c := &camera{cfg: cc, source: source, device: dev, snaps: &snapshot.Snapshotter{},
		warnings: newCameraWarnings(d.sum, cc.Name)}
	w := c.warnings
	metrics := summarisedMetrics{cameraMetrics: d.metrics, drops: w.drops}
	c.report = &statusReporter{
		site: d.site, agent: d.agent, name: cc.Name, url: urlcred.RedactText(cc.URL),
		source: source, device: dev, fps: cc.FPS, pub: d.pub, streamUp: metrics.StreamUp, log: d.log,
		failed: w.statusFailed, changed: make(chan struct{}, 1),
	}
	opts := d.analysis
	opts.Last = c.snaps
	if d.analysis.Last != nil {
		opts.Last = lastStages{c.snaps, d.analysis.Last}
	}
	c.stream = &streamRunner{
		cfg: cc, loopFilter: d.loopFilter, metrics: metrics, log: d.log, opts: opts, status: c.report,
		analyzerFailed: func(analyzer string, err error) { w.analyzerErrs.Log("analyzer", analyzer, "err", err) },
		failed:         w.streamFailed,
	}
	c.report.decodeMode = c.stream.decodeMode
	c.counts = &intervalClock{
		metrics: metrics, pub: d.pub, log: d.log, tickers: c.stream.tickerSet, occ: occupancyGauges{},
		pubFailed: w.pubFailed,
		current:   cc,
	}
	c.counts.agg = aggregate.New(d.aggregate, c.counts.emit)
	c.stream.onResult = c.onResult
	return c
}

// run runs the camera until ctx ends and waits for its parts.
func (c *camera) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.report.run(ctx) }()
	go func() { defer wg.Done(); c.counts.run(ctx) }()
	c.stream.run(ctx)
	wg.Wait()
	c.report.flush()
}

// stop ends what run left behind: the partial count interval is
// published and the log counters are removed (they say what they held).
func (c *camera) stop() {
	c.counts.aggregator().Flush(time.Now())
	c.counts.flushing.Wait()
	c.warnings.remove()
}

// onResult runs on the pipeline's analyzer goroutine after every analysed
// frame.
func (c *camera) onResult(r *vision.Result) {
	c.report.frame(r.Time)
	c.noteView(r)
	c.counts.add(r)
}

// status builds the camera's retained status payload.
func (c *camera) status(now time.Time) event.CameraStatus { return c.report.status(now) }

// Online reports whether frames are flowing.
func (c *camera) Online() bool { return c.report.online() }

// config is the camera's config as now applied, analytics updates
// included. (c.cfg keeps the stream settings, which never change while a
// camera runs.)
func (c *camera) config() config.Camera { return c.counts.config() }

// summarisedMetrics counts dropped frames for the log summary as well as
// for Prometheus: a camera that drops frames says so once per interval,
// not once per frame.
type summarisedMetrics struct {
	cameraMetrics
	drops *logging.Counter
}

func (m summarisedMetrics) FrameDropped(reason string) {
	m.cameraMetrics.FrameDropped(reason)
	m.drops.Inc()
}
