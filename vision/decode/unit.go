package decode

// #include "avdec.h"
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pantau/pantau/vision/frame"
)

// Decode decodes one access unit. want says whether the caller wants the
// picture it produces for analysis: unwanted pictures are decoded only as
// far as later pictures need them (reference chain) and never resized.
//
// Pictures come out in presentation order (libavcodec reorders B-frames),
// so one call may yield none and a later one two: Decode returns the
// oldest wanted picture not yet handed out and keeps the others for the
// next calls (at most readyMax; older ones are counted as Superseded). It
// returns nil when there is none (waiting for a random-access unit,
// skipped, not wanted, or held back by reordering). The caller owns the
// frame and must Release it. An error wrapping ErrCorrupt or ErrNoFrame is
// not fatal; any other error means the decoder is unusable.
func (d *Decoder) Decode(au AccessUnit, want bool) (*frame.Frame, error) {
	if d.av == nil {
		return nil, fmt.Errorf("decode: decoder is closed")
	}
	d.stats.Units++
	ra, start, whole := d.classify(au)
	complete := d.params.update(d.h265, au.NALUs)
	switch {
	case d.keyOnly && !ra:
		d.stats.NotKey++
		return d.pop(), nil
	case d.waitKey && !start:
		d.stats.WaitingKey++
		return d.pop(), nil
	case !want && !d.opt.Exact && d.params.isNonReference(d.h265, au.NALUs):
		d.stats.NonRef++
		return d.pop(), nil
	}
	nalus := au.NALUs
	if unitSize(nalus) == 0 {
		// An empty packet would put libavcodec into draining mode.
		d.stats.Errors++
		return nil, fmt.Errorf("%w: empty access unit", ErrCorrupt)
	}
	if d.waitKey && start && !complete {
		// Decoding (re)starts here: put the latest parameter sets first.
		d.scratch = append(d.params.list(d.scratch[:0]), au.NALUs...)
		nalus = d.scratch
	}
	if err := d.send(nalus, au, want); err != nil {
		var fatal fatalError
		if errors.As(err, &fatal) {
			return nil, err
		}
		d.stats.Errors++
		d.waitKey = !d.opt.KeepGoing
		return d.pop(), err
	}
	if d.waitKey {
		d.waitKey = false
		// Started at a recovery point or an intra slice, not an IDR:
		// libavcodec flags the pictures until the picture is whole again.
		d.recovering = !whole
		d.recoverUnits = 0
	}
	cpu, tid := threadCPU(), unix.Gettid()
	f, err := d.receive()
	// Preempted and resumed on another thread (rare): not counted.
	if unix.Gettid() == tid {
		d.goCPU += threadCPU() - cpu
	}
	return f, err
}

// Skips reports whether Decode would skip au whatever want says (keyframes
// only, or waiting for a unit where decoding can start), so a caller that
// schedules pictures does not spend its schedule on it.
func (d *Decoder) Skips(au AccessUnit) bool {
	ra, start, _ := d.classify(au)
	return d.keyOnly && !ra || d.waitKey && !start
}

// classify reports whether au is a random-access unit (flagged so, an
// IDR, an IRAP, or an H.264 picture made of intra slices only), whether
// decoding may start at it (also at an H.264 recovery-point SEI, as
// streams with intra refresh and no IDR send), and whether its picture is
// whole by itself (IDR, IRAP, intra slices: not a recovery point, which a
// container may flag as a sync sample all the same).
func (d *Decoder) classify(au AccessUnit) (ra, start, whole bool) {
	whole = isRandomAccess(d.h265, au.NALUs)
	if !whole && !d.h265 {
		intra, recovery := h264StartPoint(au.NALUs)
		whole = intra
		start = recovery
	}
	ra = au.RandomAccess || whole
	return ra, ra || start, whole
}

// pop returns the oldest picture waiting to be handed out, or nil.
func (d *Decoder) pop() *frame.Frame {
	if len(d.ready) == 0 {
		return nil
	}
	f := d.ready[0]
	copy(d.ready, d.ready[1:])
	d.ready[len(d.ready)-1] = nil
	d.ready = d.ready[:len(d.ready)-1]
	d.stats.Frames++
	f.Seq = d.stats.Frames
	return f
}

// readyMax is how many decoded pictures may wait to be handed out; more
// means the caller fell behind and the oldest are superseded.
const readyMax = 2

// unitSize is the payload size of nalus.
func unitSize(nalus [][]byte) int {
	n := 0
	for _, b := range nalus {
		n += len(b)
	}
	return n
}

// send decodes nalus on the decoder's thread and waits for it.
func (d *Decoder) send(nalus [][]byte, au AccessUnit, want bool) error {
	seq := d.seq
	d.seq++
	d.meta[seq%metaRing] = unitMeta{seq: seq, pts: au.PTS, time: au.Time, arrived: au.Arrived, want: want}
	size, err := d.submit(nalus, seq, !want && !au.Behind)
	if err != nil {
		return err
	}
	d.stats.Sent++
	// The decoder's thread writes the eventfd when done; Read parks this
	// goroutine in the netpoller meanwhile (no thread of Go's waits).
	if _, err := d.done.Read(d.doneBuf[:]); err != nil {
		return fatalError{fmt.Errorf("decode: waiting for the decoder thread: %w", err)}
	}
	ret := C.avdec_result(d.av)
	d.avCPU = time.Duration(C.avdec_cpu_ns(d.av))
	if ret < 0 && ret != C.avdec_eagain() {
		return fmt.Errorf("%w: %d bytes, pts %v: %v", ErrCorrupt, size, au.PTS, avError(ret))
	}
	return nil
}

// submit copies nalus as Annex-B into libavcodec's input buffer and hands
// them to the decoder's thread (the background one for a unit decoded
// only as a reference); d.done is written when they are decoded.
func (d *Decoder) submit(nalus [][]byte, seq int64, background bool) (int, error) {
	size := 0
	for _, n := range nalus {
		size += 4 + len(n)
	}
	p := C.avdec_buffer(d.av, C.int(size))
	if p == nil {
		return 0, fmt.Errorf("decode: out of memory for a %d-byte access unit", size)
	}
	buf := unsafe.Slice((*byte)(unsafe.Pointer(p)), size)
	off := 0
	for _, n := range nalus {
		off += copy(buf[off:], []byte{0, 0, 0, 1})
		off += copy(buf[off:], n)
	}
	bg := C.int(0)
	if background {
		bg = 1
	}
	C.avdec_submit(d.av, C.int(size), C.int64_t(seq), bg)
	return size, nil
}

// fatalError is an error after which the decoder is unusable.
type fatalError struct{ error }

func (e fatalError) Unwrap() error { return e.error }

// threadCPU is the CPU time of the calling OS thread (Linux).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// receive drains libavcodec into the ready queue and returns its oldest
// picture.
func (d *Decoder) receive() (*frame.Frame, error) {
	var corrupt, noFrame, got bool
	for {
		// pic is C memory owned by the Decoder: a Go local would escape
		// to the heap through the cgo call on every picture.
		pic := d.pic
		ret := C.avdec_receive(d.av, pic)
		if ret == C.avdec_eagain() {
			break
		}
		if ret < 0 {
			corrupt = true
			break
		}
		d.stats.Pictures++
		w, h := int(pic.width), int(pic.height)
		if w != d.lastW || h != d.lastH {
			if d.lastW != 0 {
				d.stats.SizeChanges++
			}
			d.lastW, d.lastH = w, h
		}
		if pic.corrupt != 0 {
			if d.recovering && d.recoverUnits < maxRecoverUnits {
				// Not whole yet after a start without IDR: not an error.
				d.recoverUnits++
				d.stats.Recovering++
				continue
			}
			// Concealed errors spread to every later picture of the GOP
			// and look like motion: wait for the next random-access unit,
			// unless told to keep going (only this picture is dropped).
			corrupt = true
			d.waitKey = !d.opt.KeepGoing
			continue
		}
		d.recovering = false
		// The index is checked before it is used: a picture without our
		// sequence number (negative) must not index the ring.
		if pic.seq < 0 {
			continue
		}
		m := d.meta[int64(pic.seq)%metaRing]
		if m.seq != int64(pic.seq) || !m.want {
			continue
		}
		f, err := d.toFrame(pic, m)
		if err != nil {
			noFrame = true
			continue
		}
		if len(d.ready) == readyMax {
			d.stats.Superseded++
			d.ready[0].Release()
			copy(d.ready, d.ready[1:])
			d.ready = d.ready[:readyMax-1]
		}
		d.ready = append(d.ready, f)
		got = true
	}
	switch {
	case corrupt:
		d.stats.Errors++
		d.waitKey = !d.opt.KeepGoing
		if got {
			return d.pop(), nil
		}
		if f := d.pop(); f != nil {
			return f, fmt.Errorf("%w: concealed or undecodable picture", ErrCorrupt)
		}
		return nil, fmt.Errorf("%w: concealed or undecodable picture", ErrCorrupt)
	case noFrame && len(d.ready) == 0:
		return nil, ErrNoFrame
	}
	return d.pop(), nil
}

// maxRecoverUnits bounds how many flagged pictures are accepted after a
// start at a recovery point before they count as errors (an intra
// refresh period is at most a few seconds).
const maxRecoverUnits = 300

// toFrame copies the picture into a pooled frame at analysis size.
func (d *Decoder) toFrame(pic *C.avdec_picture, m unitMeta) (*frame.Frame, error) {
	s := d.pool.get()
	if s == nil {
		d.stats.NoFrame++
		return nil, ErrNoFrame
	}
	w, h := int(pic.width), int(pic.height)
	dw, dh := AnalysisSize(w, h, d.opt.AnalysisWidth)
	f := s.f
	if C.plane_to_mat(pic.data[0], pic.linesize[0], pic.width, pic.height, pic.depth,
		unsafe.Pointer(f.Gray.Ptr()), C.int(dw), C.int(dh)) != 0 {
		s.pool.put(s)
		return nil, fmt.Errorf("decode: resize %dx%d to %dx%d failed", w, h, dw, dh)
	}
	colour := d.opt.Colour && pic.chroma_width > 0
	if colour {
		cw, ch := C.int(dw/2), C.int(dh/2)
		if C.plane_to_mat(pic.data[1], pic.linesize[1], pic.chroma_width, pic.chroma_height, pic.depth,
			unsafe.Pointer(s.u.Ptr()), cw, ch) != 0 ||
			C.plane_to_mat(pic.data[2], pic.linesize[2], pic.chroma_width, pic.chroma_height, pic.depth,
				unsafe.Pointer(s.v.Ptr()), cw, ch) != 0 {
			colour = false
		}
	}
	if colour {
		f.SetBGRSource(s.makeBGR)
	} else {
		f.SetBGRSource(noColour)
	}
	f.Time = m.time
	f.Arrived = m.arrived
	f.PTS = m.pts
	f.SrcWidth, f.SrcHeight = w, h
	f.Saturation = float64(C.avdec_saturation(pic))
	return f, nil
}

// AnalysisSize returns the analysis size for a w×h source at the wanted
// width (0 for the default), keeping the aspect ratio, capped as described
// at Options.AnalysisWidth, with even sides.
func AnalysisSize(w, h, want int) (int, int) {
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	if want <= 0 {
		want = DefaultAnalysisWidth
	}
	want = min(want, w, MaxAnalysisWidth)
	dh := (h*want + w/2) / w
	if want*dh > MaxAnalysisPixels {
		// Tall pictures: cap the area, keep the aspect ratio.
		want = int(float64(want) * sqrtRatio(MaxAnalysisPixels, want*dh))
		dh = (h*want + w/2) / w
	}
	return max(2, want&^1), max(2, dh&^1)
}

func sqrtRatio(a, b int) float64 {
	r := float64(a) / float64(b)
	// Newton's method; enough for a size.
	x := r
	for i := 0; i < 20; i++ {
		x = (x + r/x) / 2
	}
	return x
}
