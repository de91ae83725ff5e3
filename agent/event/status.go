package event

import (
	"encoding/json"
	"time"
)

// Agent and camera states as they appear in status payloads.
const (
	StateOnline     = "online"
	StateOffline    = "offline"
	StateDegraded   = "degraded"    // camera only: frames arrive but below the wanted rate, or decode errors
	StateAuthFailed = "auth_failed" // camera only: the camera refused the credentials
	StateError      = "error"       // camera only: any other failure; Error says which
)

// Camera sources: where the agent learned about a camera.
const (
	SourceConfig    = "config"
	SourceDiscovery = "discovery"
)

// AgentStatus is the retained payload at pantau/v1/{site}/{agent}/status.
// The agent publishes it as "online" after connecting and then periodically
// (so spool figures stay fresh), and as "offline" on a graceful shutdown; the
// broker publishes OfflineWill when the agent vanishes.
type AgentStatus struct {
	Header
	State   string `json:"state"`             // StateOnline or StateOffline
	Version string `json:"version,omitempty"` // pantau version string
	Started string `json:"started,omitempty"` // Timestamp of process start
	// UptimeS is seconds since Started.
	UptimeS float64 `json:"uptime_s"`
	// Cameras is how many cameras the agent runs; CamerasOnline how many of
	// them deliver frames now.
	Cameras       int `json:"cameras"`
	CamerasOnline int `json:"cameras_online"`
	// Spool describes the on-disk outgoing queue.
	Spool SpoolStatus `json:"spool"`
	// Will is true only in the broker-published last will.
	Will bool `json:"will,omitempty"`
}

// SpoolStatus is the state of the publisher's disk spool.
type SpoolStatus struct {
	Messages   int64   `json:"messages"`     // messages waiting for PUBACK
	Bytes      int64   `json:"bytes"`        // their size on disk
	MaxBytes   int64   `json:"max_bytes"`    // configured bound (0: unbounded)
	OldestAgeS float64 `json:"oldest_age_s"` // age of the oldest waiting message, 0 when empty
	Dropped    int64   `json:"dropped"`      // messages dropped by the spool since start (every reason)
	// DiskError says why the spool's disk does not take writes (full,
	// read-only); absent while it does.
	DiskError string `json:"disk_error,omitempty"`
}

// NewAgentStatus returns the retained agent status message. The caller fills
// st's body fields (State, Version, Started, Cameras, Spool …); its Header is
// replaced. The message is not spooled: a fresh status replaces it anyway.
func NewAgentStatus(site, agent string, now time.Time, st AgentStatus) Message {
	st.Header = Header{Schema: SchemaAgentStatus, ID: NewID(), TS: Timestamp(now), Site: site, Agent: agent}
	return Message{Subtopic: "status", Retained: true, Body: &st}
}

// willPayload is the last-will body: only what is known at connect time.
type willPayload struct {
	Schema string `json:"schema"`
	ID     string `json:"id"`
	Site   string `json:"site"`
	Agent  string `json:"agent"`
	State  string `json:"state"`
	Will   bool   `json:"will"`
}

// OfflineWill returns the payload to register as the MQTT last will (retained,
// QoS 1) on pantau/v1/{site}/{agent}/status at each connect:
// {"schema":"pantau.agent.status/v1","id":…,"site":…,"agent":…,"state":"offline","will":true}.
// It has no "ts" since the broker sends it at an unknown later time; call it
// once per connection so each will has its own id.
func OfflineWill(site, agent string) []byte {
	b, err := json.Marshal(willPayload{Schema: SchemaAgentStatus, ID: NewID(), Site: site, Agent: agent, State: StateOffline, Will: true})
	if err != nil {
		panic("event: marshal will: " + err.Error()) // cannot happen: plain strings
	}
	return b
}

// CameraStatus is the retained payload at …/{camera}/status. The agent
// publishes it on every state change and periodically while online.
type CameraStatus struct {
	Header
	// State is StateOnline, StateOffline, StateDegraded, StateAuthFailed or
	// StateError.
	State string `json:"state"`
	// FPS is the analysed frame rate over the last few seconds.
	FPS float64 `json:"fps"`
	// LastFrame is the Timestamp of the last decoded frame; empty if none yet.
	LastFrame string `json:"last_frame,omitempty"`
	// DecodeMode is how frames are decoded: "full" or "keyframes" (under
	// CPU pressure or a low analysis fps); lower-case letters, digits, '_'.
	DecodeMode string `json:"decode_mode,omitempty"`
	Codec      string `json:"codec,omitempty"` // "h264" or "h265"
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	// URL is the stream URL; the caller must have redacted credentials
	// (rtsp://xxxxx@host/…, urlcred.Redact) before setting it.
	URL string `json:"url,omitempty"`
	// Error is the last error, set when State is not online.
	Error        string `json:"error,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Profile      string `json:"profile,omitempty"` // ONVIF media profile token
	// Source is SourceConfig or SourceDiscovery.
	Source string `json:"source,omitempty"`
	// View is the picture mode: "day" (colour) or "ir" (infrared night
	// mode); empty while unknown (a source without colour, no analyzer).
	View string `json:"view,omitempty"`
	// ViewChanged is the Timestamp of the last change of the whole view
	// (a switch between day and ir, a lighting step); empty if none yet.
	ViewChanged string `json:"view_changed,omitempty"`
}

// NewCameraStatus returns the retained status message of one camera. The
// caller fills st's body fields; its Header is replaced. Not spooled.
func NewCameraStatus(site, agent, camera string, now time.Time, st CameraStatus) Message {
	st.Header = Header{Schema: SchemaCameraStatus, ID: NewID(), TS: Timestamp(now), Site: site, Agent: agent, Camera: camera}
	return Message{Subtopic: camera + "/status", Camera: camera, Retained: true, Body: &st}
}
