// Package web is the technician's web UI and the JSON API under /api/v1
// that it uses, served by the agent on http.listen. Its assets are plain
// HTML, CSS and JavaScript embedded in the binary: no CDN, no build step.
//
// The package reaches the agent only through Backend, and changes rules
// only by editing the config file (yaml.v3 nodes, so comments and key
// order survive), validating the result exactly as `pantau check` does,
// replacing the file atomically with the previous version kept as
// FILE.bak, and asking the agent to reload it — the same path as SIGHUP.
package web

import (
	"context"
	"time"

	"github.com/pantau/pantau/agent/live"
	"github.com/pantau/pantau/devices/onvif"
)

// Backend is what the UI needs from the running agent.
type Backend interface {
	// Cameras lists the running cameras.
	Cameras() []Camera
	// Live is the hub of the cameras' live taps.
	Live() *live.Hub
	// ConfigPath is the config file the agent runs from; empty means the
	// rules cannot be edited (no file).
	ConfigPath() string
	// Check validates a config file exactly as `pantau check` does: nil,
	// or every problem (config.Errors entries or camera-level errors).
	Check(path string) []error
	// Reload re-reads the config file and applies it (as SIGHUP does).
	Reload(ctx context.Context) error
	// Discover runs one discovery round.
	Discover(ctx context.Context) ([]Found, error)
}

// Camera is one camera as the cameras page shows it.
type Camera struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Source string `json:"source"`
	// Width and Height are the stream's; 0 until known.
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Codec  string  `json:"codec,omitempty"`
	Decode string  `json:"decode,omitempty"`
	FPS    float64 `json:"fps"`
	// LastFrame is when the last analysed frame was taken.
	LastFrame time.Time `json:"last_frame,omitzero"`
	// LastFrameAgeS is seconds since LastFrame (-1 before the first).
	LastFrameAgeS float64 `json:"last_frame_age_s"`
	Error         string  `json:"error,omitempty"`
	// Counts is today's crossings per line (in, out, per class).
	Counts map[string]live.LineCount `json:"counts"`
	// Occupancy is the zones' current occupancy per class.
	Occupancy map[string]map[string]int `json:"occupancy"`
}

// Found is one device a discovery round found.
type Found struct {
	Address      string          `json:"address"`
	Manufacturer string          `json:"manufacturer,omitempty"`
	Model        string          `json:"model,omitempty"`
	Serial       string          `json:"serial,omitempty"`
	Profiles     []onvif.Profile `json:"profiles"`
	// Profile is the token of the profile discovery would analyse.
	Profile string `json:"profile,omitempty"`
	// Auth is "ok", "failed" (no candidate login accepted) or "none" (no
	// login was needed or tried).
	Auth string `json:"auth"`
	// PasswordSet says a password will go with the camera (never the
	// password itself).
	PasswordSet bool   `json:"password_set"`
	Error       string `json:"error,omitempty"`
	// Username and Password are the accepted login; never sent.
	Username string `json:"-"`
	Password string `json:"-"`
}
