package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"

	"github.com/pantau/pantau/agent/httpauth"
)

//go:embed assets
var assets embed.FS

// Mux is where the UI registers its routes: Handle for routes behind
// authentication, HandleOpen for the login page and its assets
// (telemetry.Server is one).
type Mux interface {
	Handle(pattern string, h http.Handler)
	HandleOpen(pattern string, h http.Handler)
}

// UI serves the pages and /api/v1. Safe for concurrent use.
type UI struct {
	b    Backend
	auth *httpauth.Auth
	log  *slog.Logger

	// edit serialises config file edits: read, check, replace, reload.
	edit sync.Mutex

	mu    sync.Mutex
	found map[string]Found // last discovery round, by address
}

// New returns the UI for b, guarded by auth. log may be nil.
func New(b Backend, auth *httpauth.Auth, log *slog.Logger) *UI {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &UI{b: b, auth: auth, log: log, found: map[string]Found{}}
}

// Register adds the UI's routes to m.
func (u *UI) Register(m Mux) {
	static, _ := fs.Sub(assets, "assets") // the directory is embedded above
	files := http.FileServerFS(static)
	m.HandleOpen("GET /{$}", page(files))
	m.HandleOpen("GET /ui/", page(http.StripPrefix("/ui/", files)))
	m.HandleOpen("GET /api/v1/session", u.auth.SessionHandler())
	m.HandleOpen("POST /api/v1/login", u.auth.LoginHandler())
	m.HandleOpen("POST /api/v1/logout", u.auth.LogoutHandler())
	m.Handle("GET /api/v1/cameras", http.HandlerFunc(u.listCameras))
	m.Handle("POST /api/v1/cameras", http.HandlerFunc(u.addCamera))
	m.Handle("GET /api/v1/cameras/{name}/rules", http.HandlerFunc(u.getRules))
	m.Handle("PUT /api/v1/cameras/{name}/rules", http.HandlerFunc(u.putRules))
	m.Handle("GET /api/v1/cameras/{name}/snapshot.jpg", http.HandlerFunc(u.snapshot))
	m.Handle("GET /api/v1/cameras/{name}/stream.mjpeg", http.HandlerFunc(u.mjpeg))
	m.Handle("GET /api/v1/cameras/{name}/feed", http.HandlerFunc(u.feed))
	m.Handle("GET /api/v1/events", http.HandlerFunc(u.events))
	m.Handle("POST /api/v1/discover", http.HandlerFunc(u.discover))
}

// page adds the headers every UI response carries: no inline script, no
// framing, no sniffing, no referrer.
func page(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "+
			"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// FieldError is one problem in an API answer.
type FieldError struct {
	// Key is the config key as `pantau check` names it.
	Key string `json:"key"`
	// Field is Key relative to the camera (lines[0].points), for the UI.
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

func writeErrors(w http.ResponseWriter, code int, errs ...FieldError) {
	writeJSON(w, code, map[string]any{"errors": errs})
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeErrors(w, code, FieldError{Message: msg})
}
