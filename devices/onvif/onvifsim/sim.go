// Package onvifsim is an ONVIF camera simulator for tests and technicians:
// an HTTP device service (device, Media1, Media2) that answers with its own
// responses or replays a directory of captured vendor responses, checks
// WS-UsernameToken digests (or HTTP Digest), and a WS-Discovery responder.
//
// The captures directory is laid out like testdata/onvif/<device>:
// <dir>/device_management/<Operation>Response.xml, <dir>/media1/...,
// <dir>/media2/... An operation without a file is answered with the SOAP
// fault ter:ActionNotSupported, as real cameras do. In replayed responses
// every XAddr is rewritten to the simulator's address (or AdvertiseXAddr)
// and, when RTSPURL is set, every rtsp:// URI to RTSPURL.
package onvifsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/devices/onvif"
	"github.com/pantau/pantau/devices/onvif/wsdiscovery"
)

// Config configures a simulated camera. The zero value serves its own
// responses on a random loopback port without authentication.
type Config struct {
	// Addr is the HTTP listen address. It defaults to "127.0.0.1:0".
	Addr string
	// Captures is a directory of captured responses to replay; empty means
	// the simulator's own responses.
	Captures string
	// RTSPURL is the stream URI handed out for every profile. In own mode it
	// defaults to rtsp://HOST:8554/<profile token>.
	RTSPURL string
	// User and Password, when User is set, are required as a
	// WS-UsernameToken PasswordDigest on every call but
	// GetSystemDateAndTime; a wrong token gets HTTP 400 with the SOAP fault
	// ter:NotAuthorized.
	User, Password string
	// HTTPDigest makes the simulator demand HTTP Digest (401 challenges)
	// instead of a WS-UsernameToken.
	HTTPDigest bool
	// UUID is the WS-Discovery endpoint ("urn:uuid:..."); random by default.
	UUID string
	// AdvertiseXAddr replaces the host (or host:port) put into XAddrs, e.g.
	// "0.0.0.0" to imitate cameras that advertise an unusable address.
	AdvertiseXAddr string
	// DiscoveryAddr enables the WS-Discovery responder: "IP" or "IP:PORT"
	// (port defaults to 3702). It answers unicast probes there and
	// multicast probes to 239.255.255.250 on the interface owning IP (all
	// multicast interfaces for 0.0.0.0). Empty disables discovery.
	DiscoveryAddr string
	// ClockOffset shifts the simulated camera clock (own mode; in replay
	// mode the offset is taken from the captured GetSystemDateAndTime).
	ClockOffset time.Duration
	// Manufacturer, Model, Firmware, Serial identify the camera in own
	// mode. They default to "Pantau", "camsim", "1.0" and a serial derived
	// from UUID.
	Manufacturer, Model, Firmware, Serial string
	// Profiles are the media profiles in own mode. It defaults to one H.264
	// 768x576 10 fps profile "main" (the shape of testdata/clips/vtest_h264.mp4).
	// An H265 profile is reported as H264 over Media1 and H265 over Media2,
	// as real cameras do.
	Profiles []ProfileSpec
}

// ProfileSpec is one simulated media profile.
type ProfileSpec struct {
	Token, Name, Encoding string
	Width, Height         int
	FPS                   float64
}

// Server is a running simulated camera. Create it with New; Run serves.
type Server struct {
	cfg      Config
	ln       net.Listener
	http     *http.Server
	offset   time.Duration
	advHost  string // host:port in XAddrs
	wildcard bool   // listening on 0.0.0.0/[::] with no AdvertiseXAddr
	disco    *responder
	mu       sync.Mutex
	requests map[string]int
}

// New validates cfg, opens the listeners and returns a server ready to Run.
// The caller must call Run (or Close) to release the listeners.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.UUID == "" {
		cfg.UUID = wsdiscovery.NewUUID()
	}
	s := &Server{cfg: cfg, offset: cfg.ClockOffset, requests: map[string]int{}}
	if cfg.Captures != "" {
		st, err := os.Stat(filepath.Join(cfg.Captures, "device_management"))
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("onvifsim: captures %q: no device_management folder", cfg.Captures)
		}
		if b, err := os.ReadFile(filepath.Join(cfg.Captures, "device_management", "GetSystemDateAndTimeResponse.xml")); err == nil {
			if t, err := onvif.ParseSystemDateAndTime(b); err == nil {
				s.offset = time.Until(t)
			}
		}
	}
	s.applyDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("onvifsim: listen %s: %w", cfg.Addr, err)
	}
	s.ln = ln
	s.advHost = ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() && cfg.AdvertiseXAddr == "" {
		// Answer with the address each client used (HTTP Host), and
		// advertise a real address in discovery, as cameras do.
		s.wildcard = true
		s.advHost = net.JoinHostPort(firstIPv4(), strconv.Itoa(tcp.Port))
	}
	if a := cfg.AdvertiseXAddr; a != "" {
		if _, _, err := net.SplitHostPort(a); err == nil {
			s.advHost = a
		} else {
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			s.advHost = net.JoinHostPort(a, port)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/onvif/", s.serveSOAP)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if cfg.DiscoveryAddr != "" {
		s.disco, err = newResponder(cfg.DiscoveryAddr, s.match)
		if err != nil {
			ln.Close()
			return nil, err
		}
	}
	return s, nil
}

// DeviceURL is the device service address, http://ADDR/onvif/device_service.
// When listening on a wildcard address it names the first non-loopback
// IPv4 address.
func (s *Server) DeviceURL() string {
	if s.wildcard {
		return "http://" + s.advHost + "/onvif/device_service"
	}
	return "http://" + s.ln.Addr().String() + "/onvif/device_service"
}

// UUID is the WS-Discovery endpoint reference.
func (s *Server) UUID() string { return s.cfg.UUID }

// DiscoveryAddr is the bound unicast WS-Discovery address ("" if disabled).
func (s *Server) DiscoveryAddr() string {
	if s.disco == nil {
		return ""
	}
	return s.disco.uc.LocalAddr().String()
}

// Requests returns how many times an operation ("device_management/GetProfiles")
// was called.
func (s *Server) Requests(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[key]
}

// Run serves until ctx is cancelled, then closes everything and returns nil.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- s.http.Serve(s.ln) }()
	n := 1
	if s.disco != nil {
		n++
		go func() { errc <- s.disco.run(ctx) }()
	}
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
		n--
	}
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.http.Shutdown(shut)
	if s.disco != nil {
		s.disco.close()
	}
	for ; n > 0; n-- {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if errors.Is(first, http.ErrServerClosed) || ctx.Err() != nil {
		return nil
	}
	return first
}

// Close stops the server at once: it releases the listeners (also of a
// server never Run) and makes a running Run return. Safe to call twice.
func (s *Server) Close() {
	_ = s.http.Close()
	s.ln.Close()
	if s.disco != nil {
		s.disco.close()
	}
}

func (s *Server) now() time.Time { return time.Now().Add(s.offset).UTC() }

// match is what the discovery responder advertises.
func (s *Server) match() wsdiscovery.Match {
	model := s.cfg.Model
	if s.cfg.Captures != "" {
		model = filepath.Base(s.cfg.Captures)
	}
	return wsdiscovery.Match{
		Address: s.cfg.UUID,
		Scopes: []string{"onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/Profile/Streaming",
			"onvif://www.onvif.org/name/" + strings.ReplaceAll(model, " ", "_"), "onvif://www.onvif.org/hardware/" + strings.ReplaceAll(model, " ", "_")},
		XAddrs: []string{"http://" + s.advHost + "/onvif/device_service"},
	}
}

// MulticastErr says why the WS-Discovery responder answers only unicast
// probes (e.g. the interface is not multicast-capable); nil when it joined
// the multicast group or discovery is disabled.
func (s *Server) MulticastErr() error {
	if s.disco == nil {
		return nil
	}
	return s.disco.mcastErr
}

// firstIPv4 returns the first up, non-loopback IPv4 address, else 127.0.0.1.
func firstIPv4() string {
	ifs, _ := net.Interfaces()
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}
