package detpool

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision"
)

// Inferer runs one model on one picture: img is 3-channel BGR of any size
// (a gray picture is passed as gray in three channels); the detections'
// boxes are in img's pixels. One goroutine at a time calls it.
// *detect.DNN implements it.
type Inferer interface {
	Infer(img gocv.Mat) ([]vision.Detection, error)
	Close() error
}

// ErrBadOutput is matched (errors.Is) against inference errors to count a
// skipped frame as "bad_output" rather than "error". The caller sets it to
// detect.ErrBadOutput; nil counts every error as "error".
var ErrBadOutput error

// Metrics receives the pool's figures (agent/telemetry's DetectorMetrics
// implements it). Methods are called from several goroutines and must not
// block.
type Metrics interface {
	QueueLength(n int)
	Inference(d time.Duration)
	Detected(class string, n int)
	Skipped(camera, reason string)
	RateScale(f float64)
	Workers(n int)
}

// Reasons a frame with motion was not detected on, given to
// Metrics.Skipped.
const (
	// SkipRate: the camera had used its detector.max_rate.
	SkipRate = "rate"
	// SkipBudget: the camera was within its max_rate, but the pool had
	// lowered every camera's rate because the detector is slower than its
	// budget.
	SkipBudget = "budget"
	// SkipReplaced: the job waited for a worker until a newer frame of the
	// same camera replaced it.
	SkipReplaced = "replaced"
	// SkipBadOutput: the model gave NaN, empty or ill-shaped output.
	SkipBadOutput = "bad_output"
	// SkipError: the inference failed otherwise.
	SkipError = "error"
)

// Config configures a Pool. The zero value is usable except for New.
type Config struct {
	// Workers is how many inferences run at once, each on its own model
	// instance (about one core each). It defaults to 1.
	Workers int
	// New makes one worker's model. Required.
	New func() (Inferer, error)
	// MaxBusy is the share of the workers' time inference may take, over
	// the last few seconds, before the pool lowers every camera's rate. It
	// defaults to 0.8.
	MaxBusy float64
	// Metrics receives the pool's figures; nil discards them.
	Metrics Metrics
}

// Pool is the agent's shared detector: Workers model instances fed with
// crops of the frames where cameras see motion. Cameras submit through
// their Client without ever waiting; see the package doc for the policy.
type Pool struct {
	cfg      Config
	inferers []Inferer
	notify   chan struct{}

	mu      sync.Mutex
	pending map[*Client]*job
	seq     uint64 // service order, for fairness
	scale   float64
	win     budgetWindow
}

// job is one frame's crops for one camera; the job owns the Mats.
type job struct {
	client *Client
	time   time.Time // capture time of the frame
	crops  []crop
	motion bool // false for a periodic full-frame pass
	w, h   int  // frame size in pixels
}

type crop struct {
	at  image.Rectangle // where in the frame
	img gocv.Mat        // BGR copy of that region
}

func (j *job) close() {
	for _, c := range j.crops {
		_ = c.img.Close()
	}
	j.crops = nil
}

// New checks cfg and makes the workers' models. Close the Pool (after Run
// returned, if it ran) to free them.
func New(cfg Config) (*Pool, error) {
	if cfg.New == nil {
		return nil, errors.New("detpool: Config.New is required")
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("detector.workers: must not be negative, got %d", cfg.Workers)
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	if cfg.MaxBusy <= 0 || cfg.MaxBusy > 1 {
		cfg.MaxBusy = 0.8
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	p := &Pool{cfg: cfg, notify: make(chan struct{}, cfg.Workers), pending: map[*Client]*job{}, scale: 1}
	for range cfg.Workers {
		inf, err := cfg.New()
		if err != nil {
			p.Close()
			return nil, err
		}
		p.inferers = append(p.inferers, inf)
	}
	cfg.Metrics.Workers(cfg.Workers)
	cfg.Metrics.RateScale(1)
	return p, nil
}

// Close frees the models and any job still waiting. Call it once Run has
// returned.
func (p *Pool) Close() {
	p.mu.Lock()
	for c, j := range p.pending {
		j.close()
		delete(p.pending, c)
	}
	p.mu.Unlock()
	for _, inf := range p.inferers {
		_ = inf.Close()
	}
	p.inferers = nil
}

// Run runs the workers until ctx ends, then returns nil once they have
// finished their current inference.
func (p *Pool) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, inf := range p.inferers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx, inf)
		}()
	}
	wg.Wait()
	return nil
}

func (p *Pool) work(ctx context.Context, inf Inferer) {
	for {
		j := p.next()
		if j == nil {
			select {
			case <-ctx.Done():
				return
			case <-p.notify:
			}
			continue
		}
		busy, res := run(inf, j, p.cfg.Metrics)
		p.mu.Lock()
		p.win.add(time.Now(), busy)
		p.adjust(time.Now())
		p.mu.Unlock()
		j.client.deliver(res)
		j.close()
	}
}

// submit queues j for its client, replacing the client's job that still
// waits (counted as replaced). It never blocks.
func (p *Pool) submit(j *job) {
	p.mu.Lock()
	if old, ok := p.pending[j.client]; ok {
		old.close()
		p.cfg.Metrics.Skipped(j.client.cfg.Camera, SkipReplaced)
	}
	p.pending[j.client] = j
	n := len(p.pending)
	p.mu.Unlock()
	p.cfg.Metrics.QueueLength(n)
	select {
	case p.notify <- struct{}{}:
	default: // every worker already has a wake-up coming
	}
}

// next takes the job to run now: frames with motion before periodic
// full-frame passes, and among those the camera served longest ago, so a
// busy camera cannot starve the others. Nil when nothing waits.
func (p *Pool) next() *job {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *job
	for _, j := range p.pending {
		if best == nil || (j.motion && !best.motion) ||
			(j.motion == best.motion && j.client.served < best.client.served) {
			best = j
		}
	}
	if best == nil {
		return nil
	}
	delete(p.pending, best.client)
	p.seq++
	best.client.served = p.seq
	p.cfg.Metrics.QueueLength(len(p.pending))
	return best
}

// rateScale is the share of each camera's max_rate allowed now.
func (p *Pool) rateScale() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.scale
}

// adjust lowers the rate scale when inference took more than MaxBusy of
// the workers' time over the window, and raises it again slowly when it
// takes less than half of that. Called under p.mu after each job.
func (p *Pool) adjust(now time.Time) {
	if now.Sub(p.win.adjusted) < time.Second {
		return
	}
	p.win.adjusted = now
	busy := p.win.busyShare(now) / float64(len(p.inferers))
	switch {
	case busy > p.cfg.MaxBusy:
		p.scale = max(p.scale*p.cfg.MaxBusy/busy, minScale)
	case busy < p.cfg.MaxBusy/2 && p.scale < 1:
		p.scale = min(p.scale*1.25, 1)
	default:
		return
	}
	p.cfg.Metrics.RateScale(p.scale)
}

// minScale keeps every camera detecting now and then, however slow the
// model.
const minScale = 0.02

// run infers every crop of j and maps the boxes to normalised frame
// coordinates. It returns the time spent inferring.
func run(inf Inferer, j *job, m Metrics) (time.Duration, result) {
	res := result{time: j.time}
	var busy time.Duration
	for _, c := range j.crops {
		if c.at != image.Rect(0, 0, j.w, j.h) {
			res.inspected = append(res.inspected, vision.Rect{
				X: float64(c.at.Min.X) / float64(j.w), Y: float64(c.at.Min.Y) / float64(j.h),
				W: float64(c.at.Dx()) / float64(j.w), H: float64(c.at.Dy()) / float64(j.h),
			})
		}
		t0 := time.Now()
		dets, err := inf.Infer(c.img)
		d := time.Since(t0)
		busy += d
		m.Inference(d)
		if err != nil {
			reason := SkipError
			if ErrBadOutput != nil && errors.Is(err, ErrBadOutput) {
				reason = SkipBadOutput
			}
			m.Skipped(j.client.cfg.Camera, reason)
			res.failed = true
			continue
		}
		for _, dt := range dets {
			b := dt.Box
			dt.Box = vision.Rect{
				X: (float64(c.at.Min.X) + b.X) / float64(j.w), Y: (float64(c.at.Min.Y) + b.Y) / float64(j.h),
				W: b.W / float64(j.w), H: b.H / float64(j.h),
			}
			res.dets = append(res.dets, dt)
			m.Detected(dt.Class, 1)
		}
	}
	return busy, res
}

type nopMetrics struct{}

func (nopMetrics) QueueLength(int)         {}
func (nopMetrics) Inference(time.Duration) {}
func (nopMetrics) Detected(string, int)    {}
func (nopMetrics) Skipped(string, string)  {}
func (nopMetrics) RateScale(float64)       {}
func (nopMetrics) Workers(int)             {}
