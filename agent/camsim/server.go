package camsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pantau/pantau/vision/clip"
)

// Start listens and starts streaming in the background, then returns;
// URL has the real port from then on. The server stops when ctx is
// cancelled or Close is called. After Close, Start may be called again: it
// listens on the same port as before (the stream restarts at StartFrame),
// which is how tests cut a stream and restore it.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("camsim: already started")
	}
	bound := 0
	srv := &gortsplib.Server{
		Handler:     &handler{s: s},
		RTSPAddress: net.JoinHostPort(s.host, strconv.Itoa(s.port)),
		// A 1080p keyframe is a few hundred packets; the default queue
		// of 256 would drop some of them for a slow reader.
		WriteQueueSize: 4096,
		Listen: func(network, addr string) (net.Listener, error) {
			l, err := net.Listen(network, addr)
			if err == nil {
				bound = l.Addr().(*net.TCPAddr).Port
			}
			return l, err
		},
	}
	if s.cfg.UDPAddr != "" {
		ports, _ := udpPorts(s.cfg.UDPAddr) // checked by New
		srv.UDPRTPAddress, srv.UDPRTCPAddress = ports[0], ports[1]
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("camsim: listen on %s: %w", srv.RTSPAddress, err)
	}
	stream, err := s.newStream(srv)
	if err != nil {
		srv.Close()
		return err
	}
	s.port = bound
	s.srv, s.stream = srv, stream
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go s.streamLoop(sctx, done)
	stopAfter := context.AfterFunc(ctx, func() { s.close(srv) })
	s.stop = func() { stopAfter(); stop() }
	s.done = done
	s.log.Info("camera simulator serving", "url", s.urlFor(bound), "listen", srv.RTSPAddress, "codec", s.info.Codec,
		"size", fmt.Sprintf("%dx%d", s.info.Width, s.info.Height), "frames", len(s.aus))
	return nil
}

// urlFor is URL for a known port, for use while s.mu is held.
func (s *Server) urlFor(port int) string {
	host := s.host
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "rtsp://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/" + s.cfg.Path
}

// Close stops streaming, disconnects every client and stops listening.
// It waits for the server's goroutines. Calling it again does nothing.
func (s *Server) Close() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	s.close(srv)
}

// close shuts srv down if it is still the running server (a context of an
// earlier Start must not stop a later one).
func (s *Server) close(srv *gortsplib.Server) {
	s.mu.Lock()
	if srv == nil || s.srv != srv {
		s.mu.Unlock()
		return
	}
	stream, stop, done := s.stream, s.stop, s.done
	s.srv, s.stream, s.stop, s.done = nil, nil, nil, nil
	s.mu.Unlock()

	// Outside the lock: closing waits for connection goroutines, whose
	// handlers take the lock.
	stop()
	<-done
	stream.Close()
	srv.Close()
	s.log.Info("camera simulator stopped")
}

// DropClients disconnects every current client, mid-stream, and keeps
// listening: new clients get a fresh stream. It is a camera that kicks its
// viewers (reboot of the streaming process, session limit).
func (s *Server) DropClients() error {
	s.mu.Lock()
	if s.srv == nil {
		s.mu.Unlock()
		return errors.New("camsim: not started")
	}
	fresh, err := s.newStream(s.srv)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	old := s.stream
	s.stream = fresh
	s.mu.Unlock()
	old.Close()
	return nil
}

// current returns the stream clients are served, nil when stopped.
func (s *Server) current() *gortsplib.ServerStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream
}

// newStream makes a server stream describing the clip, with its parameter
// sets in the SDP.
func (s *Server) newStream(srv *gortsplib.Server) (*gortsplib.ServerStream, error) {
	vps, sps, pps := s.info.VPS, s.info.SPS, s.info.PPS
	if sps == nil || pps == nil {
		vps, sps, pps = s.inBandParams()
	}
	var f format.Format
	if s.info.Codec == "h265" {
		f = &format.H265{PayloadTyp: 96, VPS: vps, SPS: sps, PPS: pps}
	} else {
		f = &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: pps}
	}
	st := &gortsplib.ServerStream{
		Server: srv,
		Desc: &description.Session{Medias: []*description.Media{{
			Type:    description.MediaTypeVideo,
			Formats: []format.Format{f},
		}}},
	}
	if err := st.Initialize(); err != nil {
		return nil, fmt.Errorf("camsim: create stream: %w", err)
	}
	return st, nil
}

// inBandParams finds the first VPS, SPS and PPS in the clip's access
// units, for files without parameter sets in their header (raw streams).
func (s *Server) inBandParams() (vps, sps, pps []byte) {
	for _, au := range s.aus {
		for _, n := range au.NALUs {
			switch t := clip.NALType(s.info.Codec, n); {
			case s.info.Codec == "h265" && t == 32 && vps == nil:
				vps = n
			case (s.info.Codec == "h265" && t == 33 || s.info.Codec == "h264" && t == 7) && sps == nil:
				sps = n
			case (s.info.Codec == "h265" && t == 34 || s.info.Codec == "h264" && t == 8) && pps == nil:
				pps = n
			}
		}
		if sps != nil && pps != nil {
			break
		}
	}
	return vps, sps, pps
}
