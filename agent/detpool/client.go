package detpool

import (
	"fmt"
	"image"
	"slices"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
	"github.com/pantau/pantau/vision/motion"
)

// ClientConfig is one camera's use of the detector. The zero value is
// usable.
type ClientConfig struct {
	// Camera names the camera in metrics.
	Camera string
	// MaxRate is the most inferences per second (of frame time) the
	// camera may ask for; a frame with motion costs one per crop. It
	// defaults to 2.
	MaxRate float64
	// FullEvery is how often a whole frame is sent instead of crops, so
	// objects that do not move (a parked car, a person standing) are seen
	// too. It defaults to 10 s. While nothing moves at all the picture is
	// the one the last pass saw, so the gap doubles after each pass, up to
	// stillFullStretch times FullEvery, and comes back to FullEvery with
	// the first motion.
	FullEvery time.Duration
	// CropSize is the side of the crops, in pixels of the analysed frame:
	// the model's input size, so people are seen at the scale it was
	// trained for. It defaults to the smaller side of the model's input
	// when the model tells it (InputSizer), else 300.
	CropSize int
	// MaxCrops is how many crops one frame may need before one region
	// around all the motion is sent instead. It defaults to 3.
	MaxCrops int
	// Classes keeps only these classes; empty keeps all.
	Classes []string
	// MinScore drops detections scored below it (the camera's
	// detector.confidence; the shared model reports lower ones).
	MinScore float64
	// Rules are the bounding boxes (normalised) of the camera's lines and
	// zones. Motion farther from all of them than its own size is not
	// sent to the detector: nothing is counted there, and its tracks
	// coast on motion until they come near (the periodic full pass still
	// sees the whole frame). Empty: motion anywhere is.
	Rules []vision.Rect
	// Masks are normalised polygons; a detection whose bottom centre is
	// in one is dropped, and motion there does not trigger the detector.
	Masks [][]vision.Point
}

// BlobSource gives the moving regions of the frame captured at t; ok is
// false when it has not analysed that frame. *motion.Detector implements
// it.
type BlobSource interface {
	Blobs(t time.Time) (blobs []motion.Blob, ok bool)
}

// InputSizer is an Inferer that tells its network's input size, in
// pixels (*detect.DNN implements it).
type InputSizer interface {
	InputSize() (w, h int)
}

// Warmer is a BlobSource that can tell it is still learning its
// background (*motion.Detector): while not warm it reports no motion even
// when things move, so the Client looks at the whole frame in tiles.
type Warmer interface {
	Warm() bool
}

// TrackSource gives the camera's live tracks as of the previous frame.
// *track.Tracker implements it.
type TrackSource interface {
	Live(out []vision.Track) []vision.Track
}

// Client is one camera's analyzer in front of the detector: it sends crops
// around motion to the pool and puts the detections that came back into
// the frame's Result (see the package doc). It is called from the camera's
// analyzer goroutine; the pool delivers from its workers.
type Client struct {
	cfg    ClientConfig
	pool   *Pool   // nil: inline
	inline Inferer // with pool nil, owned
	src    BlobSource
	m      Metrics

	tracks    TrackSource // may be nil
	trackBuf  []vision.Track
	explained time.Time // last pass over motion the tracks explained

	tokens   float64
	last     time.Time // frame time of the previous Analyze
	lastFull time.Time
	stretch  int               // the full pass's gap in FullEvery: above 1 while nothing moves
	moved    bool              // motion (or a blind warm-up) since the last full pass
	px       []image.Rectangle // scratch
	tile     int               // next tile of the warm-up sweep
	change   changes           // frame to frame, during the warm-up sweep

	served uint64 // under pool.mu

	mu    sync.Mutex
	ready *result
}

// result is what one job found, in normalised frame coordinates.
type result struct {
	time   time.Time
	dets   []vision.Detection
	failed bool // some crop could not be inferred
	// inspected are the crops, normalised; empty for a whole frame.
	inspected []vision.Rect
}

// defaults fills in the zero fields; inf is the model the crops go to
// (nil when unknown).
func (c *ClientConfig) defaults(inf Inferer) {
	if s, ok := inf.(InputSizer); ok && c.CropSize <= 0 {
		if w, h := s.InputSize(); min(w, h) > 0 {
			c.CropSize = min(w, h)
		}
	}
	if c.MaxRate <= 0 {
		c.MaxRate = 2
	}
	if c.FullEvery <= 0 {
		c.FullEvery = 10 * time.Second
	}
	if c.CropSize <= 0 {
		c.CropSize = 300
	}
	if c.MaxCrops <= 0 {
		c.MaxCrops = 3
	}
}

// Client returns camera's analyzer on the pool. src is the camera's motion
// analyzer, which must run before it.
func (p *Pool) Client(cfg ClientConfig, src BlobSource) *Client {
	var inf Inferer
	if len(p.inferers) > 0 {
		inf = p.inferers[0] // every worker runs the same model
	}
	cfg.defaults(inf)
	return &Client{cfg: cfg, pool: p, src: src, m: p.cfg.Metrics, tokens: 1}
}

// NewInline returns a Client that runs inf itself, in Analyze, and joins
// the detections to the same frame: the same crops and rate, without the
// pool's timing, for `pantau eval` (repeatable) and `pantau check`. The
// Client owns inf and closes it. m may be nil.
func NewInline(inf Inferer, cfg ClientConfig, src BlobSource, m Metrics) *Client {
	cfg.defaults(inf)
	if m == nil {
		m = nopMetrics{}
	}
	return &Client{cfg: cfg, inline: inf, src: src, m: m, tokens: 1}
}

// Name is the analyzer's name in metrics and logs.
func (c *Client) Name() string { return "detect_dnn" }

// UseTracks lets the client skip motion the tracks already explain: a
// motion region over exactly one track of about its size is that track
// walking on, which the tracker follows by motion alone; only new motion
// and regions over several tracks (people meeting, passing, a group) need
// the detector. Explained motion still gets a pass every ExplainedEvery, to
// correct drift and vote classes. Call it before the first Analyze.
func (c *Client) UseTracks(ts TrackSource) { c.tracks = ts }

// explainedEvery is how often motion the tracks explain is detected on all
// the same.
const explainedEvery = 2 * time.Second

// stillFullStretch bounds the periodic full pass's gap on a still scene, in
// FullEvery: it is what a standing object that appeared without motion
// being seen (a slow walker under the motion threshold) may wait.
const stillFullStretch = 6

// Close frees the client's working pictures and the inline model, if
// any. A job a pooled client left waiting is freed by the pool.
func (c *Client) Close() error {
	c.change.close()
	if c.inline != nil {
		return c.inline.Close()
	}
	return nil
}

// Analyze sends f's motion to the detector when the rate allows, then
// writes the newest detections that came back into r. When none came back
// since the previous frame it writes the motion boxes instead, with
// r.Coast set, for the tracker to move its tracks by (never to start one).
func (c *Client) Analyze(f *frame.Frame, r *vision.Result) error {
	blobs, ok := c.src.Blobs(f.Time)
	if !ok {
		return fmt.Errorf("detect_dnn: no motion for the frame at %s: run the motion analyzer before the detector", f.Time.Format("15:04:05.000"))
	}
	c.px = c.px[:0]
	if c.tracks != nil {
		c.trackBuf = c.tracks.Live(c.trackBuf[:0])
	}
	refresh := f.Time.Sub(c.explained) >= explainedEvery
	for _, b := range blobs {
		if masked(b.Box, c.cfg.Masks) {
			continue
		}
		c.moved, c.stretch = true, 1
		if !near(b.Box, c.cfg.Rules) {
			continue
		}
		if refresh || !explains(c.trackBuf, b.Box) {
			c.px = append(c.px, b.Px)
		}
	}
	if refresh && len(c.px) > 0 {
		c.explained = f.Time
	}
	c.maybeSubmit(f)
	res := c.take()
	if res == nil || (res.failed && len(res.dets) == 0) {
		r.Coast = true
		for _, b := range blobs {
			if !masked(b.Box, c.cfg.Masks) {
				r.Detections = append(r.Detections, vision.Detection{Box: b.Box})
			}
		}
		return nil
	}
	r.Inspected = append(r.Inspected, res.inspected...)
	for _, d := range res.dets {
		if d.Score >= c.cfg.MinScore && (len(c.cfg.Classes) == 0 || slices.Contains(c.cfg.Classes, d.Class)) && !masked(d.Box, c.cfg.Masks) {
			r.Detections = append(r.Detections, d)
		}
	}
	return nil
}

// maybeSubmit decides whether f goes to the detector and how.
func (c *Client) maybeSubmit(f *frame.Frame) {
	scale := 1.0
	if c.pool != nil {
		scale = c.pool.rateScale()
	}
	rate := c.cfg.MaxRate * scale
	if !c.last.IsZero() {
		if dt := f.Time.Sub(c.last).Seconds(); dt > 0 {
			c.tokens = min(c.tokens+rate*dt, max(1, rate))
		}
	}
	c.last = f.Time
	w, h := f.Gray.Cols(), f.Gray.Rows()
	gap := time.Duration(max(c.stretch, 1)) * c.cfg.FullEvery
	full := c.lastFull.IsZero() || f.Time.Sub(c.lastFull) >= gap
	blind := c.blind()
	if !blind {
		c.change.reset() // the next warm-up starts with a whole look
	}
	var regions []image.Rectangle
	switch {
	case blind:
		// Motion cannot tell where to look yet (its warm-up after a start
		// or a restart): look at the whole frame once, then sweep the
		// tiles that changed since the previous frame at the model's
		// scale, as many as the rate allows, so people already walking
		// are tracked from the first seconds. This is the full-frame pass.
		if regions = c.sweep(f.Gray); len(regions) == 0 {
			return // nothing changed: nothing new to see
		}
		full = true
	case full:
		regions = []image.Rectangle{image.Rect(0, 0, w, h)}
	case len(c.px) > 0:
		regions = plan(c.px, w, h, c.cfg.CropSize, c.cfg.MaxCrops)
	default:
		return // no motion: nothing to look at
	}
	need := float64(len(regions))
	if c.tokens < need {
		if full && len(c.px) == 0 {
			return // a still scene's periodic pass waits for a token
		}
		reason := SkipRate
		if scale < 1 && c.tokens+(1-scale)*c.cfg.MaxRate >= need {
			reason = SkipBudget
		}
		c.m.Skipped(c.cfg.Camera, reason)
		return
	}
	c.tokens -= need
	if full {
		c.lastFull = f.Time
		switch {
		case blind:
			c.moved = true // motion cannot tell yet
		case !c.moved:
			c.stretch = min(2*max(c.stretch, 1), stillFullStretch)
		default:
			c.moved = false
		}
	}
	j := &job{client: c, time: f.Time, motion: len(c.px) > 0, w: w, h: h}
	for _, rg := range regions {
		j.crops = append(j.crops, crop{at: rg, img: gray3(f.Gray, rg)})
	}
	if c.pool == nil {
		_, res := run(c.inline, j, c.m)
		j.close()
		c.deliver(res)
		return
	}
	c.pool.submit(j)
}

// blind reports whether the motion source is still warming up.
func (c *Client) blind() bool {
	w, ok := c.src.(Warmer)
	return ok && !w.Warm()
}

// sweep returns what to look at in a warm-up frame: the whole frame the
// first time, then the next tiles of tiles() that changed since the
// previous frame, taken in turn, as many as the tokens allow (at least
// one); none when no tile changed.
func (c *Client) sweep(gray gocv.Mat) []image.Rectangle {
	w, h := gray.Cols(), gray.Rows()
	first := !c.change.next(gray)
	all := tiles(w, h, c.cfg.CropSize)
	n := min(max(1, int(c.tokens)), len(all))
	out := make([]image.Rectangle, 0, n)
	for range all {
		if len(out) == n {
			break
		}
		t := all[c.tile%len(all)]
		c.tile++
		if first || c.change.moved(t) {
			out = append(out, t)
		}
	}
	return out
}

// gray3 copies region rg of the gray picture into a new 3-channel Mat:
// the model takes three channels, and gray (the analysis picture, and an
// IR camera's only one) is fed as gray in all three.
func gray3(gray gocv.Mat, rg image.Rectangle) gocv.Mat {
	region := gray.Region(rg)
	defer region.Close()
	dst := gocv.NewMat()
	gocv.CvtColor(region, &dst, gocv.ColorGrayToBGR)
	return dst
}

// deliver keeps res if it is newer than what waits to be joined.
func (c *Client) deliver(res result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready == nil || !res.time.Before(c.ready.time) {
		c.ready = &res
	}
}

// take returns the result waiting to be joined, if any.
func (c *Client) take() *result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.ready
	c.ready = nil
	return r
}

// masked reports whether a box's bottom centre lies in any of the
// polygons.
func masked(r vision.Rect, masks [][]vision.Point) bool {
	p := r.BottomCenter()
	for _, m := range masks {
		if vision.InPolygon(p, m) {
			return true
		}
	}
	return false
}

// near reports whether r, grown by its larger side all round, meets one
// of rules (or rules is empty).
func near(r vision.Rect, rules []vision.Rect) bool {
	if len(rules) == 0 {
		return true
	}
	m := max(r.W, r.H)
	x0, y0, x1, y1 := r.X-m, r.Y-m, r.X+r.W+m, r.Y+r.H+m
	for _, q := range rules {
		if x0 <= q.X+q.W && q.X <= x1 && y0 <= q.Y+q.H && q.Y <= y1 {
			return true
		}
	}
	return false
}

// explains reports whether region r overlaps exactly one track and that
// track's box is of about r's size.
func explains(tracks []vision.Track, r vision.Rect) bool {
	n := 0
	var one vision.Rect
	for _, t := range tracks {
		if t.Confirmed && r.IoU(t.Box) > 0 {
			n++
			one = t.Box
		}
	}
	const f = 1.6
	return n == 1 && r.W <= one.W*f && r.W >= one.W/f && r.H <= one.H*f && r.H >= one.H/f
}
