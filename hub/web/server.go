// Package web serves the hub over HTTP: the API under /api/v1, the
// dashboard (assets embedded, nothing fetched from elsewhere), /metrics and
// /healthz.
//
// Authentication is agent/httpauth, the same as the agent's: a hub
// listening off loopback without http.auth.users_file or tokens_file
// refuses to start (hub.Serve), and the dashboard shows a login form.
package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/hub/config"
	"github.com/pantau/pantau/hub/store"
)

// Data is what the server reads; *store.Store provides it.
type Data interface {
	Cameras(ctx context.Context) ([]store.Camera, error)
	Agents(ctx context.Context) ([]store.Agent, error)
	Counts(ctx context.Context, q store.SeriesQuery) ([]store.Series, error)
	Totals(ctx context.Context, from, to time.Time) ([]store.Total, error)
	Events(ctx context.Context, q store.EventQuery) ([]json.RawMessage, error)
	OpenTamper(ctx context.Context) ([]store.Tamper, error)
}

// LagSource gives a camera's lag histogram (the hub keeps it in memory);
// its result is marshalled as is.
type LagSource func(site, agent, camera string) (any, bool)

// Options configure New.
type Options struct {
	Config *config.Config
	Data   Data
	// Lag is optional.
	Lag LagSource
	// Metrics serves /metrics; nil leaves it out.
	Metrics http.Handler
	// Auth guards the API and /metrics (and serves the login); nil means
	// no authentication at all, for tests. The embedded page itself (no
	// data in it) and /healthz are always open, so the login form shows.
	Auth *httpauth.Auth
	// MetricsOpen leaves /metrics outside Auth (http.metrics_open).
	MetricsOpen bool
	Log         *slog.Logger
	// Now is the clock; it defaults to time.Now.
	Now func() time.Time
}

// server answers the requests.
type server struct {
	Options
}

// New returns the hub's HTTP handler.
func New(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &server{o}
	guard := func(h http.Handler) http.Handler {
		if o.Auth != nil {
			return o.Auth.Require(h)
		}
		return h
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/cameras", s.cameras)
	api.HandleFunc("GET /api/v1/agents", s.agents)
	api.HandleFunc("GET /api/v1/sites", s.sites)
	api.HandleFunc("GET /api/v1/counts", s.counts)
	api.HandleFunc("GET /api/v1/today", s.today)
	api.HandleFunc("GET /api/v1/events", s.events)
	api.HandleFunc("GET /api/v1/alerts", s.alerts)
	mux.Handle("/api/", guard(securityHeaders(api)))
	mux.Handle("/", securityHeaders(assetHandler()))
	if o.Auth != nil {
		mux.Handle("GET /api/v1/session", o.Auth.SessionHandler())
		mux.Handle("POST /api/v1/login", o.Auth.LoginHandler())
		mux.Handle("POST /api/v1/logout", o.Auth.LogoutHandler())
	}
	if o.Metrics != nil {
		if o.MetricsOpen {
			mux.Handle("GET /metrics", o.Metrics)
		} else {
			mux.Handle("GET /metrics", guard(o.Metrics))
		}
	}
	return mux
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Everything the dashboard needs is served here: forbid the rest.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func (s *server) json(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		s.Log.Debug("write response", "err", err) // the client went away
	}
}

func (s *server) fail(w http.ResponseWriter, code int, err error) {
	if code >= 500 {
		s.Log.Error("api", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()}) //nolint:errcheck // best effort
}
