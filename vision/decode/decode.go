// Package decode turns H.264 and H.265 access units into analysis frames
// with libavcodec (cgo). The luma plane goes straight from the decoded
// picture into the frame's gray Mat with one INTER_AREA resize; colour is
// kept only when asked for (Options.Colour) and converted to BGR only when
// an analyzer calls Frame.BGR. Frames come from a small pool and go back to
// it on Frame.Release, so steady-state decoding allocates nothing on the Go
// heap.
package decode

// #cgo pkg-config: libavcodec libavutil opencv4
// #cgo CXXFLAGS: -std=c++11
// #include <stdlib.h>
// #include "avdec.h"
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/pantau/pantau/vision/frame"
)

// DefaultReferenceNice is Options.ReferenceNice's default.
const DefaultReferenceNice = 10

// DefaultAnalysisWidth is the analysis width when Options.AnalysisWidth is 0.
const DefaultAnalysisWidth = 640

// MaxAnalysisWidth and MaxAnalysisPixels cap the analysis size whatever the
// options and the source (an 8K camera is analysed at most at 1080p).
const (
	MaxAnalysisWidth  = 1920
	MaxAnalysisPixels = 1920 * 1080
)

// ErrCorrupt is wrapped by Decode's error when an access unit could not be
// decoded or produced a picture with concealed errors. It is not fatal: the
// decoder drops pictures until the next random-access unit and goes on.
var ErrCorrupt = errors.New("decode: corrupt access unit")

// ErrNoFrame is returned by Decode when every pooled frame is held by the
// caller; the picture was decoded (the reference chain is intact) but not
// handed out. Release frames sooner or raise Options.Frames.
var ErrNoFrame = errors.New("decode: all frames in use")

// Options configure a Decoder. The zero value decodes H.264 in analysis
// mode at 640 pixels wide on one thread, without colour.
type Options struct {
	// Codec is "h264" or "h265". It defaults to "h264".
	Codec string
	// AnalysisWidth is the width of Frame.Gray; the height keeps the
	// source's aspect ratio. It defaults to 640 and is capped at the
	// source width, MaxAnalysisWidth and MaxAnalysisPixels. Sizes are
	// rounded to even numbers.
	AnalysisWidth int
	// Threads is libavcodec's thread count. It defaults to 1 (one core per
	// stream at most; more threads add latency).
	Threads int
	// Exact turns analysis mode off: the loop filter runs and unwanted
	// non-reference pictures are decoded. By default the loop filter is
	// skipped and non-reference pictures not wanted are not decoded.
	Exact bool
	// KeyframesOnly sends only random-access units to libavcodec.
	// SetKeyframesOnly changes it while decoding.
	KeyframesOnly bool
	// Colour keeps the chroma planes (at half analysis size) so that
	// Frame.BGR works. Without it Frame.BGR returns an error.
	Colour bool
	// LoopFilter is on which pictures the loop filter is skipped in
	// analysis mode: "all" (the default), "nonref" or "never". Exact
	// always runs it.
	LoopFilter string
	// KeepGoing keeps decoding after a damaged picture (packet loss, a
	// corrupt slice), dropping only the pictures libavcodec flags, instead
	// of waiting for the next random-access unit. See docs/performance.md
	// for what each choice costs under packet loss.
	KeepGoing bool
	// Frames is how many frames may be out (held by the caller) at once.
	// It defaults to 4.
	Frames int
	// ReferenceNice lowers the priority (a nice increment) of the thread
	// that decodes the units whose picture is not wanted, decoded only
	// because later pictures refer to them, while the caller keeps up
	// (AccessUnit.Behind not set): they are due only when the next
	// wanted picture is, so they yield the CPU to the wanted pictures and
	// the analysis of every camera. Other units are decoded on a thread
	// at the process's priority. It defaults to 10; negative decodes
	// every unit on that one thread.
	ReferenceNice int
}

// AccessUnit is one coded picture for Decode: NAL units without start
// codes, the stream time, whether it is a random-access unit (the decoder
// also checks the NAL types itself), the wall-clock capture time that
// becomes Frame.Time and the arrival time that becomes Frame.Arrived.
type AccessUnit struct {
	NALUs        [][]byte
	PTS          time.Duration
	RandomAccess bool
	Time         time.Time
	Arrived      time.Time
	// Behind says the caller has more units waiting: the unit is decoded
	// at the normal priority even when its picture is not wanted (see
	// Options.ReferenceNice), as a wanted picture may wait behind it.
	Behind bool
}

// Stats counts what a Decoder did since New.
type Stats struct {
	Units        uint64 // access units given to Decode
	Sent         uint64 // access units sent to libavcodec
	Pictures     uint64 // pictures libavcodec produced
	Frames       uint64 // frames handed out
	WaitingKey   uint64 // units skipped while waiting for a random-access unit
	NotKey       uint64 // units skipped in keyframes-only mode
	NonRef       uint64 // unwanted non-reference units not decoded
	Superseded   uint64 // wanted pictures dropped because the caller fell behind
	Recovering   uint64 // pictures not yet whole after a start without IDR
	NoFrame      uint64 // pictures not handed out because the pool was empty
	Errors       uint64 // corrupt or undecodable units and concealed pictures
	SizeChanges  uint64 // changes of the decoded resolution
	CodecChanges uint64 // decoder re-opened for another codec
	// CPU is the CPU time decoding took: libavcodec on the decoder's own
	// thread plus the copy into analysis frames on the caller's.
	CPU time.Duration
}

type unitMeta struct {
	seq     int64
	pts     time.Duration
	time    time.Time
	arrived time.Time
	want    bool
}

// metaRing is how many access units can be inside libavcodec at once
// (frame threads and reordering); far more than one-thread decoding needs.
const metaRing = 64

var quietOnce sync.Once

// Decoder decodes one stream. It is used from one goroutine; the frames it
// returns may be released from any goroutine. Close it when done.
//
// libavcodec runs on a thread of the decoder's own, not Go's: Decode
// hands the unit over and waits for the thread's eventfd in Go's
// netpoller, so no cgo call lasts longer than a copy. A cgo call of more
// than 10 ms (a 1080p keyframe, or any picture on a loaded machine) makes
// Go's sysmon take its thread's P and then poll every 20 µs for a
// while: 13 % of one stream's CPU when decoding ran in cgo calls
// (docs/performance.md).
type Decoder struct {
	opt     Options
	h265    bool
	av      *C.avdec
	done    *os.File // the decoder thread's eventfd, read in the netpoller
	doneFD  C.int    // its descriptor (File.Fd would make it blocking)
	doneBuf [8]byte
	// Stats.CPU: on the caller's thread, on the decoder's threads as of
	// the last unit, and on those SetCodec ended.
	goCPU, avCPU, closedCPU time.Duration
	keyOnly                 bool
	waitKey                 bool
	// recovering: decoding started without an IDR; flagged pictures are
	// expected until the intra refresh completes (recoverUnits so far).
	recovering   bool
	recoverUnits int
	ready        []*frame.Frame // decoded, wanted, not yet handed out
	seq          int64
	meta         [metaRing]unitMeta
	params       paramSets
	scratch      [][]byte
	pool         *framePool
	pic          *C.avdec_picture // C memory, freed by Close
	lastW        int
	lastH        int
	stats        Stats
}

// New opens a decoder. Options are checked here; the error names the bad
// option.
func New(opt Options) (*Decoder, error) {
	quietOnce.Do(func() { C.avdec_quiet() })
	if opt.Codec == "" {
		opt.Codec = "h264"
	}
	if opt.Codec != "h264" && opt.Codec != "h265" {
		return nil, fmt.Errorf("decode: codec %q: want h264 or h265", opt.Codec)
	}
	switch opt.LoopFilter {
	case "", "all", "nonref", "never":
	default:
		return nil, fmt.Errorf("decode: loop filter %q: want all, nonref or never", opt.LoopFilter)
	}
	if opt.AnalysisWidth < 0 || opt.Threads < 0 || opt.Frames < 0 {
		return nil, fmt.Errorf("decode: negative option in %+v", opt)
	}
	if opt.ReferenceNice > 19 {
		return nil, fmt.Errorf("decode: reference nice %d: want at most 19 (negative: one thread)", opt.ReferenceNice)
	}
	if opt.AnalysisWidth == 0 {
		opt.AnalysisWidth = DefaultAnalysisWidth
	}
	if opt.Threads == 0 {
		opt.Threads = 1
	}
	if opt.Frames == 0 {
		opt.Frames = 4
	}
	if opt.ReferenceNice == 0 {
		opt.ReferenceNice = DefaultReferenceNice
	}
	fd := C.avdec_done_fd()
	if fd < 0 {
		return nil, fmt.Errorf("decode: eventfd: %w", syscall.Errno(-fd))
	}
	d := &Decoder{opt: opt, keyOnly: opt.KeyframesOnly, waitKey: true, pool: newFramePool(opt.Frames),
		done: os.NewFile(uintptr(fd), "avdec"), doneFD: fd}
	if err := d.open(opt.Codec); err != nil {
		d.done.Close()
		return nil, err
	}
	d.pic = (*C.avdec_picture)(C.calloc(1, C.sizeof_avdec_picture))
	return d, nil
}

func (d *Decoder) open(codec string) error {
	d.h265 = codec == "h265"
	cc := C.int(264)
	if d.h265 {
		cc = 265
	}
	skipLF := C.int(1) // AVDISCARD_ALL
	switch {
	case d.opt.Exact || d.opt.LoopFilter == "never":
		skipLF = 0
	case d.opt.LoopFilter == "nonref":
		skipLF = 2 // AVDISCARD_NONREF
	}
	if ret := C.avdec_open(&d.av, cc, C.int(d.opt.Threads), skipLF, d.doneFD, C.int(max(d.opt.ReferenceNice, 0))); ret < 0 {
		return fmt.Errorf("decode: open %s decoder: %w", codec, avError(ret))
	}
	d.opt.Codec = codec
	d.waitKey = true
	return nil
}

// Codec is the codec being decoded, "h264" or "h265".
func (d *Decoder) Codec() string { return d.opt.Codec }

// SetCodec re-opens the decoder for another codec ("h264" or "h265"), as
// after a camera was reconfigured; decoding restarts at the next
// random-access unit. It does nothing when the codec is unchanged.
func (d *Decoder) SetCodec(codec string) error {
	if codec == d.opt.Codec {
		return nil
	}
	if codec != "h264" && codec != "h265" {
		return fmt.Errorf("decode: codec %q: want h264 or h265", codec)
	}
	d.closedCPU += time.Duration(C.avdec_cpu_ns(d.av))
	d.avCPU = 0
	C.avdec_close(d.av)
	d.av = nil
	d.params.reset()
	d.stats.CodecChanges++
	return d.open(codec)
}

// SetKeyframesOnly switches keyframes-only decoding on or off. Switching
// it off resumes full decoding at the next random-access unit.
func (d *Decoder) SetKeyframesOnly(on bool) {
	if d.keyOnly && !on {
		d.waitKey = true
	}
	d.keyOnly = on
}

// KeyframesOnly reports whether only random-access units are decoded.
func (d *Decoder) KeyframesOnly() bool { return d.keyOnly }

// SetParameterSets gives the decoder parameter sets known out of band (an
// RTSP SDP), used when a random-access unit arrives without them. NAL
// units are without start codes; vps is ignored for H.264.
func (d *Decoder) SetParameterSets(vps, sps, pps []byte) {
	if d.h265 {
		d.params.vps = append(d.params.vps[:0], vps...)
	}
	d.params.sps = append(d.params.sps[:0], sps...)
	d.params.pps = append(d.params.pps[:0], pps...)
}

// Stats returns the decoder's counters.
func (d *Decoder) Stats() Stats {
	s := d.stats
	s.CPU = d.closedCPU + d.avCPU + d.goCPU
	return s
}

// Close frees the decoder and the pooled frames not held by the caller;
// frames still held are freed when they are released.
func (d *Decoder) Close() error {
	if d.av != nil {
		C.avdec_close(d.av)
		d.av = nil
	}
	if d.done != nil {
		// After avdec_close: the thread that writes it has ended.
		d.done.Close()
		d.done = nil
	}
	if d.pic != nil {
		C.free(unsafe.Pointer(d.pic))
		d.pic = nil
	}
	for _, f := range d.ready {
		f.Release()
	}
	d.ready = nil
	d.pool.close()
	return nil
}

func avError(code C.int) error {
	var buf [128]C.char
	C.avdec_strerror(code, &buf[0], C.int(len(buf)))
	return errors.New(C.GoString(&buf[0]))
}
