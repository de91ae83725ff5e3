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
// (aggregation; closes count intervals on its own clock). None waits for
// another: a stuck publish in one part, or in another camera, does not
// stop the others. The fields are set once by newCamera.
type camera struct {
	cfg    config.Camera // as started; the stream settings never change
	source string        // event.SourceConfig or event.SourceDiscovery
	device deviceInfo
	snaps  *snapshot.Snapshotter
	stream *streamRunner
	report *statusReporter
	counts *intervalClock
	// drops and analyzerErrs feed the agent's log summary.
	drops        *logging.Counter
	analyzerErrs *logging.Repeated
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
	analysis    analysis.Options // without Last: the camera adds its snapshotter
}

// newCamera wires a camera's parts; run starts them.
func newCamera(cc config.Camera, source string, dev deviceInfo, d cameraDeps) *camera {
	c := &camera{cfg: cc, source: source, device: dev, snaps: &snapshot.Snapshotter{},
		drops:        d.sum.Counter("dropped %d frames in the last %s", "camera", cc.Name),
		analyzerErrs: d.sum.Repeated(0, "analyzer failed", "camera", cc.Name),
	}
	metrics := summarisedMetrics{cameraMetrics: d.metrics, drops: c.drops}
	c.report = &statusReporter{
		site: d.site, agent: d.agent, name: cc.Name, url: urlcred.RedactText(cc.URL),
		source: source, device: dev, fps: cc.FPS, pub: d.pub, streamUp: metrics.StreamUp, log: d.log,
	}
	opts := d.analysis
	opts.Last = c.snaps
	if d.analysis.Last != nil {
		opts.Last = lastStages{c.snaps, d.analysis.Last}
	}
	c.stream = &streamRunner{
		cfg: cc, loopFilter: d.loopFilter, metrics: metrics, log: d.log, opts: opts, status: c.report,
		analyzerFailed: func(analyzer string, err error) { c.analyzerErrs.Log("analyzer", analyzer, "err", err) },
	}
	c.report.decodeMode = c.stream.decodeMode
	c.counts = &intervalClock{
		metrics: metrics, pub: d.pub, log: d.log, tickers: c.stream.tickerSet, occ: occupancyGauges{},
		pubFailed: d.sum.Counter("could not publish %d messages in the last %s", "camera", cc.Name),
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
}

// stop ends what run left behind: the partial count interval is
// published and the log counters are removed (they say what they held).
func (c *camera) stop() {
	c.counts.aggregator().Flush(time.Now())
	c.counts.pubFailed.Remove()
	c.drops.Remove()
	c.analyzerErrs.Remove()
}

// onResult runs on the pipeline's analyzer goroutine after every analysed
// frame.
func (c *camera) onResult(r *vision.Result) {
	c.report.frame(r.Time)
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
