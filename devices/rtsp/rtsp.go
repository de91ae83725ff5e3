// Package rtsp pulls H.264 and H.265 video from an RTSP camera with
// gortsplib and hands it out as access units: one callback per coded
// picture, NAL units without start codes, a presentation time and a
// random-access flag.
//
// A Client runs one session and returns when it fails or ends; it never
// reconnects by itself (the agent's supervisor restarts it with backoff).
// Its errors can be classified with errors.Is against ErrAuth, ErrConnect,
// ErrTimeout, ErrNotFound, ErrNoVideo and ErrClosed, and never contain the
// password of the camera URL. Redact removes credentials from any URL
// before it is logged.
//
// The package is pure Go (no cgo).
package rtsp

import (
	"sync/atomic"
	"time"
)

// AccessUnit is one coded picture as received from the camera.
type AccessUnit struct {
	// Codec is "h264" or "h265".
	Codec string
	// NALUs are the NAL units of the picture, without start codes. When
	// RandomAccess is set they start with the parameter sets (VPS, SPS,
	// PPS), prepended from the SDP if the camera did not send them in-band.
	// The callee owns the slices after the call; the client never touches
	// them again.
	NALUs [][]byte
	// PTS is the presentation time relative to the start of the session.
	PTS time.Duration
	// RandomAccess is set when the picture is an IDR (H.264) or IRAP
	// (H.265) picture a decoder can start from.
	RandomAccess bool
	// Received is the wall-clock time the last packet of the picture
	// arrived.
	Received time.Time
}

// StreamInfo describes the video track, from its SPS.
type StreamInfo struct {
	// Codec is "h264" or "h265".
	Codec string
	// Width and Height are the picture size in pixels (0 when unknown).
	Width, Height int
	// FPS is the frame rate announced in the SPS timing info, 0 when the
	// camera does not say.
	FPS float64
}

// Config configures a Client. Only URL is required.
type Config struct {
	// URL is the camera's stream, rtsp://[user:password@]host[:port]/path.
	// Credentials in it are used for Basic or Digest authentication.
	URL string
	// Transport is "tcp" (interleaved in the RTSP connection) or "udp".
	// It defaults to "tcp": RTP over UDP drops packets even on loopback.
	Transport string
	// ReadTimeout is how long the stream may stay silent before Run fails
	// with ErrTimeout; it also bounds each RTSP request.
	// It defaults to 10 seconds.
	ReadTimeout time.Duration
	// DialTimeout bounds the TCP connect and the whole handshake (OPTIONS,
	// DESCRIBE, SETUP, PLAY).
	// It defaults to 5 seconds.
	DialTimeout time.Duration
	// OnInfo, when set, is called with the track description as soon as
	// the first SPS is known (from the SDP or in-band), and again whenever
	// it changes. It is never called concurrently with itself or with the
	// access-unit callback, and must not block.
	OnInfo func(StreamInfo)
}

// Stats are counters of one Client, safe to read while it runs.
type Stats struct {
	// AccessUnits is the number of access units handed to the callback.
	AccessUnits uint64
	// Bytes is the number of NAL unit bytes handed to the callback.
	Bytes uint64
	// PacketsLost is the number of RTP packets the server sent that never
	// arrived (from sequence number gaps).
	PacketsLost uint64
	// DecodeErrors counts RTP packets that could not be depacketized
	// (their access unit is dropped).
	DecodeErrors uint64
}

// Client receives one RTSP stream. Create it with New and call Run once.
type Client struct {
	cfg  Config
	onAU func(AccessUnit)

	aus, bytes, lost, decodeErrs atomic.Uint64
}

// New returns a client for cfg that calls onAU for every access unit,
// from a single goroutine, in arrival order. onAU must not block: hand the
// unit to a bounded queue and drop when it is full. The zero values in cfg
// are replaced by the defaults documented on Config.
func New(cfg Config, onAU func(AccessUnit)) *Client {
	if cfg.Transport == "" {
		cfg.Transport = "tcp"
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	return &Client{cfg: cfg, onAU: onAU}
}

// Stats returns the client's counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		AccessUnits:  c.aus.Load(),
		Bytes:        c.bytes.Load(),
		PacketsLost:  c.lost.Load(),
		DecodeErrors: c.decodeErrs.Load(),
	}
}
