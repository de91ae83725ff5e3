package clip

// #cgo pkg-config: libavformat libavcodec libavutil
// #include <stdlib.h>
// #include <libavutil/error.h>
// #include "reader.h"
//
// static int clip_averror_eof(void) { return AVERROR_EOF; }
import "C"

import (
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"
)

// Reader reads the access units of the first video stream of a file. It is
// not safe for concurrent use; Close it when done.
type Reader struct {
	path string
	r    *C.clip_reader
	info Info
}

// Open opens the video file at path (any container libavformat reads:
// MP4, MKV, MPEG-TS, raw .h264/.h265 …) whose first video stream is H.264
// or H.265. The error names the file and what was wrong with it.
func Open(path string) (*Reader, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var r *C.clip_reader
	var codecID C.int
	if ret := C.clip_open(cpath, &r, &codecID); ret < 0 {
		if ret == -1 {
			return nil, fmt.Errorf("clip %s: unsupported video codec %s (want h264 or h265)",
				path, C.GoString(C.clip_codec_name(codecID)))
		}
		return nil, fmt.Errorf("clip %s: %w", path, avError(ret))
	}
	rd := &Reader{path: path, r: r}
	var ci C.clip_info
	C.clip_get_info(r, &ci)
	rd.info = Info{
		Codec:    "h264",
		Width:    int(ci.width),
		Height:   int(ci.height),
		FPS:      float64(ci.fps),
		Duration: time.Duration(ci.duration_us) * time.Microsecond,
	}
	if ci.codec == 265 {
		rd.info.Codec = "h265"
	}
	if ci.extradata_size > 0 {
		extra := C.GoBytes(unsafe.Pointer(ci.extradata), ci.extradata_size)
		rd.info.VPS, rd.info.SPS, rd.info.PPS = parameterSets(rd.info.Codec, SplitAnnexB(extra))
	}
	return rd, nil
}

// Info describes the clip's video stream.
func (r *Reader) Info() Info { return r.info }

// Codec is "h264" or "h265".
func (r *Reader) Codec() string { return r.info.Codec }

// Width is the coded picture width in pixels.
func (r *Reader) Width() int { return r.info.Width }

// Height is the coded picture height in pixels.
func (r *Reader) Height() int { return r.info.Height }

// FPS is the stream's average frame rate, 0 when the file does not say.
func (r *Reader) FPS() float64 { return r.info.FPS }

// Duration is the stream's length, 0 when the file does not say.
func (r *Reader) Duration() time.Duration { return r.info.Duration }

// ParameterSets returns the parameter sets from the file header (without
// start codes), as an RTSP server needs them for its SDP. vps is nil for
// H.264; any of them may be nil when the file carries them only in-band.
func (r *Reader) ParameterSets() (vps, sps, pps []byte) {
	return r.info.VPS, r.info.SPS, r.info.PPS
}

// Next returns the next access unit in decoding order, or io.EOF after the
// last one. The returned slices are the caller's: they share one fresh
// buffer and never alias libav memory.
func (r *Reader) Next() (AccessUnit, error) {
	if r.r == nil {
		return AccessUnit{}, fmt.Errorf("clip %s: reader is closed", r.path)
	}
	var data *C.uint8_t
	var size C.int
	var pts, dts C.int64_t
	var key C.int
	for {
		ret := C.clip_next(r.r, &data, &size, &pts, &dts, &key)
		if ret == C.clip_averror_eof() {
			return AccessUnit{}, io.EOF
		}
		if ret < 0 {
			return AccessUnit{}, fmt.Errorf("clip %s: read: %w", r.path, avError(ret))
		}
		if size == 0 {
			continue
		}
		buf := C.GoBytes(unsafe.Pointer(data), size)
		nalus := SplitAnnexB(buf)
		if len(nalus) == 0 {
			continue
		}
		return AccessUnit{
			NALUs:        nalus,
			PTS:          time.Duration(pts) * time.Microsecond,
			DTS:          time.Duration(dts) * time.Microsecond,
			RandomAccess: key != 0,
		}, nil
	}
}

// Close releases the demuxer. It is safe to call more than once.
func (r *Reader) Close() error {
	if r.r != nil {
		C.clip_close(r.r)
		r.r = nil
	}
	return nil
}

// avError turns a negative libav error code into a Go error.
func avError(code C.int) error {
	var buf [128]C.char
	C.av_strerror(code, &buf[0], C.size_t(len(buf)))
	return errors.New(C.GoString(&buf[0]))
}
