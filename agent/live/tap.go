package live

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// Tap is a camera's live view. Add it as the camera's last analyzer
// (after lines, zones and tamper have written the result). Its Close does
// nothing, so an analytics update may close the old chain while the tap
// goes on in the new one.
type Tap struct {
	camera   string
	hub      *Hub
	seq      atomic.Uint64
	pictures atomic.Int32 // subscribers that want JPEGs

	mu     sync.Mutex
	day    string
	lines  map[string]*LineCount
	tamper map[string]bool
	occ    map[string]map[string]int
	last   *Frame // last frame, without picture unless one was made
	subs   map[*sub]struct{}
}

type sub struct {
	ch       chan *Frame
	pictures bool
}

func newTap(camera string, hub *Hub) *Tap {
	return &Tap{camera: camera, hub: hub, lines: map[string]*LineCount{}, tamper: map[string]bool{},
		occ: map[string]map[string]int{}, subs: map[*sub]struct{}{}}
}

// Name is the analyzer's name in metrics.
func (t *Tap) Name() string { return "live" }

// Close does nothing (see Tap).
func (t *Tap) Close() error { return nil }

// Subscribe returns a channel of the camera's analysed frames, with JPEG
// pictures when pictures is true. The channel holds the latest frame
// only: a slow reader skips frames, it never slows the camera. Call
// cancel when done; the channel is not closed.
func (t *Tap) Subscribe(pictures bool) (<-chan *Frame, func()) {
	s := &sub{ch: make(chan *Frame, 1), pictures: pictures}
	t.mu.Lock()
	t.subs[s] = struct{}{}
	t.mu.Unlock()
	if pictures {
		t.pictures.Add(1)
	}
	return s.ch, func() {
		t.mu.Lock()
		_, ok := t.subs[s]
		delete(t.subs, s)
		t.mu.Unlock()
		if ok && pictures {
			t.pictures.Add(-1)
		}
	}
}

// Last returns the last analysed frame (nil before the first). Its JPEG
// is set only if someone was watching pictures then.
func (t *Tap) Last() *Frame {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// Counts returns today's crossings per line.
func (t *Tap) Counts() map[string]LineCount {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.countsLocked()
}

func (t *Tap) countsLocked() map[string]LineCount {
	out := make(map[string]LineCount, len(t.lines))
	for k, v := range t.lines {
		bc := make(map[string]int, len(v.ByClass))
		for c, n := range v.ByClass {
			bc[c] = n
		}
		out[k] = LineCount{In: v.In, Out: v.Out, ByClass: bc}
	}
	return out
}

// Analyze records r and, while someone watches, hands f on as a Frame.
func (t *Tap) Analyze(f *frame.Frame, r *vision.Result) error {
	fr := &Frame{Seq: t.seq.Add(1), Time: r.Time, Width: f.Gray.Cols(), Height: f.Gray.Rows(), Motion: r.Motion,
		View: r.View, Settling: r.Settling}
	for _, tr := range r.Tracks {
		if tr.Confirmed && tr.Lost == 0 {
			fr.Tracks = append(fr.Tracks, Box{ID: tr.ID, Class: tr.Class, X: tr.Box.X, Y: tr.Box.Y, W: tr.Box.W, H: tr.Box.H})
		}
	}
	for _, e := range r.Events {
		fr.Events = append(fr.Events, toEvent(t.camera, e))
	}
	if t.pictures.Load() > 0 {
		fr.JPEG = encode(f)
	}
	t.mu.Lock()
	t.record(r)
	fr.Lines = t.countsLocked()
	fr.Occupancy = t.occ
	for k, on := range t.tamper {
		if on {
			fr.Tamper = append(fr.Tamper, k)
		}
	}
	sort.Strings(fr.Tamper)
	t.last = fr
	for s := range t.subs {
		out := fr
		if !s.pictures && fr.JPEG != nil {
			c := *fr
			c.JPEG = nil
			out = &c
		}
		select {
		case <-s.ch: // drop the unread older frame: latest wins
		default:
		}
		s.ch <- out
	}
	t.mu.Unlock()
	t.hub.publish(fr.Events)
	return nil
}

// record updates counts, occupancy and tamper state. t.mu is held.
func (t *Tap) record(r *vision.Result) {
	if day := r.Time.Local().Format(time.DateOnly); day != t.day {
		t.day, t.lines = day, map[string]*LineCount{}
	}
	for _, e := range r.Events {
		switch e.Type {
		case vision.EventLineCross:
			lc, ok := t.lines[e.Rule]
			if !ok {
				lc = &LineCount{ByClass: map[string]int{}}
				t.lines[e.Rule] = lc
			}
			if e.Direction == "in" {
				lc.In++
			} else {
				lc.Out++
			}
			lc.ByClass[e.Class]++
		case vision.EventTamper:
			t.tamper[e.Kind] = e.State == "raised"
		}
	}
	if len(r.Occupancy) > 0 {
		occ := make(map[string]map[string]int, len(r.Occupancy))
		for _, z := range r.Occupancy {
			m := make(map[string]int, len(z.ByClass))
			for c, n := range z.ByClass {
				m[c] = n
			}
			occ[z.Zone] = m
		}
		t.occ = occ // replaced, never mutated: frames already sent share it
	}
}

// encode makes the JPEG of f's analysis picture: colour when the decoder
// can give it, else the luma plane. nil when encoding fails (the frame is
// then sent without a picture).
func encode(f *frame.Frame) []byte {
	img := f.Gray
	if bgr, err := f.BGR(); err == nil && !bgr.Empty() {
		img = bgr
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, img, []int{gocv.IMWriteJpegQuality, 75})
	if err != nil {
		return nil
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...)
}
