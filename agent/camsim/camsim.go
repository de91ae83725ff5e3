// Package camsim is a camera simulator: an RTSP server (gortsplib) that
// serves a video clip in a loop, in real time, at rtsp://ADDR/PATH, as
// H.264 or H.265 as the file holds, to any number of clients, like an IP
// camera does. Technicians use it (pantau camsim) to test a command centre
// without a camera; tests use it as the real RTSP server on loopback, with
// options to corrupt NAL units, start mid-GOP, drop every client, cut the
// stream and pause sending.
//
// Like a camera, the stream runs whether or not anyone watches: a client
// that connects mid-GOP first receives non-keyframes.
package camsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/pantau/pantau/vision/clip"
)

// Config configures a Server. Only Clip is required.
type Config struct {
	// Clip is the video file to serve (any container libavformat reads,
	// H.264 or H.265). It is read into memory once by New.
	Clip string
	// Addr is the RTSP listen address. Port 0 picks a free port (see URL).
	// It defaults to ":8554".
	Addr string
	// Path is the stream path, without slashes.
	// It defaults to "cam".
	Path string
	// UDPAddr, when set (e.g. ":8000"), also offers RTP over UDP, with
	// RTP on that port (even) and RTCP on the next one. By default only
	// TCP (interleaved) is offered.
	UDPAddr string
	// User and Password, when User is set, are required from clients
	// (Basic or Digest); wrong credentials are answered with 401.
	User, Password string
	// CorruptRatio is the fraction (0–1) of slice NAL units whose payload
	// gets bytes flipped, for corrupt-stream tests. Parameter sets are left
	// intact. The pseudo-random sequence is the same on every run.
	CorruptRatio float64
	// StartFrame is the index of the clip's access unit the stream starts
	// at, so that it can start on a non-keyframe. It defaults to 0.
	StartFrame int
	// OutOfBandParams removes VPS/SPS/PPS from the stream, so that they
	// are only in the SDP, as some cameras do.
	OutOfBandParams bool
	// Impair makes the server misbehave on request (stalls, loss,
	// jitter, lock-outs, slow answers); the zero value behaves.
	Impair Impairments
	// Log receives connection and session events at debug level and
	// start/stop at info level. It defaults to discarding.
	Log *slog.Logger
}

// Server serves one clip over RTSP. Start it (or Run it), read its URL,
// Close it. Its methods may be called from any goroutine.
type Server struct {
	cfg      Config
	aus      []clip.AccessUnit
	info     clip.Info
	frameDur time.Duration
	host     string // host part of Addr, kept for restarts
	log      *slog.Logger

	mu      sync.Mutex
	port    int // bound port; reused by a restart
	srv     *gortsplib.Server
	stream  *gortsplib.ServerStream
	stop    context.CancelFunc
	done    chan struct{} // closed when the streaming goroutine ends
	paused  atomic.Bool
	clients atomic.Int64

	sent, corrupted, writeErrs atomic.Uint64
	lost                       atomic.Uint64 // RTP packets dropped on purpose (Impair.Loss)
	lock                       lockout
}

// New reads the clip into memory and checks cfg. It does not listen yet.
func New(cfg Config) (*Server, error) {
	if cfg.Clip == "" {
		return nil, errors.New("camsim: clip: no file given")
	}
	if cfg.Addr == "" {
		cfg.Addr = ":8554"
	}
	cfg.Path = strings.Trim(cfg.Path, "/")
	if cfg.Path == "" {
		cfg.Path = "cam"
	}
	if cfg.CorruptRatio < 0 || cfg.CorruptRatio > 1 {
		return nil, fmt.Errorf("camsim: corrupt ratio %v: want 0 to 1", cfg.CorruptRatio)
	}
	if err := cfg.Impair.check(); err != nil {
		return nil, err
	}
	if cfg.User == "" && cfg.Password != "" {
		return nil, errors.New("camsim: password given without a user")
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("camsim: address %q: %w", cfg.Addr, err)
	}
	var p int
	if _, err := fmt.Sscanf(port, "%d", &p); err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("camsim: address %q: bad port", cfg.Addr)
	}
	if cfg.UDPAddr != "" {
		if _, err := udpPorts(cfg.UDPAddr); err != nil {
			return nil, err
		}
	}
	aus, info, err := clip.ReadAll(cfg.Clip)
	if err != nil {
		return nil, fmt.Errorf("camsim: %w", err)
	}
	if cfg.StartFrame < 0 || cfg.StartFrame >= len(aus) {
		return nil, fmt.Errorf("camsim: start frame %d: clip has %d frames", cfg.StartFrame, len(aus))
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, aus: aus, info: info, host: host, port: p, log: log}
	s.lock.after, s.lock.dur = cfg.Impair.LockoutAfter, cfg.Impair.LockoutFor
	s.frameDur = frameDuration(aus, info.FPS)
	return s, nil
}

// udpPorts returns the RTP and RTCP addresses for UDPAddr.
func udpPorts(addr string) ([2]string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return [2]string{}, fmt.Errorf("camsim: UDP address %q: %w", addr, err)
	}
	var p int
	if _, err := fmt.Sscanf(port, "%d", &p); err != nil || p <= 0 || p >= 65535 || p%2 != 0 {
		return [2]string{}, fmt.Errorf("camsim: UDP address %q: want an even RTP port (RTCP uses the next)", addr)
	}
	return [2]string{net.JoinHostPort(host, fmt.Sprint(p)), net.JoinHostPort(host, fmt.Sprint(p+1))}, nil
}

// frameDuration is the time one frame is shown: from the frame rate, or
// else the typical PTS step of the clip.
func frameDuration(aus []clip.AccessUnit, fps float64) time.Duration {
	if fps > 0 {
		return time.Duration(float64(time.Second) / fps)
	}
	if len(aus) > 1 {
		if d := (aus[len(aus)-1].PTS - aus[0].PTS) / time.Duration(len(aus)-1); d > 0 {
			return d
		}
	}
	return 40 * time.Millisecond
}

// Info describes the clip being served.
func (s *Server) Info() clip.Info { return s.info }

// Frames is the number of access units in one loop of the clip.
func (s *Server) Frames() int { return len(s.aus) }

// URL is the stream's address without credentials,
// rtsp://HOST:PORT/PATH, with the real port once started (127.0.0.1 when
// listening on every interface).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urlFor(s.port)
}

// Run starts the server and serves until ctx is cancelled (nil) or the
// server fails; it closes everything before returning.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- srv.Wait() }()
	select {
	case <-ctx.Done():
		s.Close()
		<-errc
		return nil
	case err := <-errc:
		s.Close()
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("camsim: %w", err)
	}
}

// Clients is the number of open RTSP sessions.
func (s *Server) Clients() int { return int(s.clients.Load()) }

// Stats returns how many access units were sent so far and how many NAL
// units were corrupted on purpose.
func (s *Server) Stats() (accessUnits, corruptedNALUs uint64) {
	return s.sent.Load(), s.corrupted.Load()
}

// SetPaused stops (true) or resumes (false) sending video while keeping
// every connection open, as a frozen camera does; clients then hit their
// read timeout. The clip clock keeps running while paused.
func (s *Server) SetPaused(paused bool) { s.paused.Store(paused) }
