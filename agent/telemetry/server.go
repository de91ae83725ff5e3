package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves /metrics, /healthz and /readyz, plus any handler added
// with Handle (e.g. /snapshot/{camera}).
type Server struct {
	listen  string
	mux     *http.ServeMux
	log     *slog.Logger
	started time.Time
	// guard wraps every route not in open; nil serves all routes as
	// they are (tests, and callers that guard in front).
	guard func(http.Handler) http.Handler
	open  map[string]bool
	// listenFn opens the listener (TLS or not); nil is plain TCP.
	listenFn func() (net.Listener, error)
}

// NewServer returns a server for listen (host:port) exposing g. ready may
// be nil (always ready). log receives serve errors; nil discards them.
func NewServer(listen string, g prometheus.Gatherer, ready ReadyFunc, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if ready == nil {
		ready = func() (bool, map[string]string) { return true, map[string]string{} }
	}
	s := &Server{listen: listen, mux: http.NewServeMux(), log: log, started: time.Now(),
		open: map[string]bool{"GET /healthz": true}}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		Timeout:           10 * time.Second,
		EnableOpenMetrics: false,
	}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"status":         "ok",
			"uptime_seconds": int64(time.Since(s.started).Seconds()),
		})
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ok, checks := ready()
		code := http.StatusOK
		if !ok {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]any{"ready": ok, "checks": checks})
	})
	return s
}

// Handle adds a handler, with a net/http ServeMux pattern such as
// "GET /snapshot/{camera}". Call it before Run.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleOpen adds a handler that Guard leaves open (a login form, its
// assets). Call it before Run.
func (s *Server) HandleOpen(pattern string, h http.Handler) {
	s.open[pattern] = true
	s.mux.Handle(pattern, h)
}

// Guard makes every route pass through guard (an httpauth.Auth's
// Require) except GET /healthz, routes added with HandleOpen, and
// GET /metrics when metricsOpen. listen, when not nil, opens the
// listener instead of plain TCP (httpauth.Listen for TLS). Call it before
// Run.
func (s *Server) Guard(guard func(http.Handler) http.Handler, metricsOpen bool, listen func() (net.Listener, error)) {
	s.guard, s.listenFn = guard, listen
	if metricsOpen {
		s.open["GET /metrics"] = true
	}
}

// Handler returns the server's handler, guarded as Guard said.
func (s *Server) Handler() http.Handler {
	if s.guard == nil {
		return s.mux
	}
	guarded := s.guard(s.mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := s.mux.Handler(r); s.open[pattern] {
			s.mux.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// Run listens on the configured address and serves until ctx is cancelled;
// it returns nil then, or the error that stopped it.
func (s *Server) Run(ctx context.Context) error {
	var ln net.Listener
	var err error
	if s.listenFn != nil {
		ln, err = s.listenFn()
	} else {
		ln, err = net.Listen("tcp", s.listen)
	}
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled, then closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}
