// Package event defines the messages the agent publishes to the command
// centre (MQTT contract v1, see docs/mqtt.md) and the envelope every one of
// them carries.
package event

import "time"

// TopicPrefix starts every topic of contract v1: pantau/v1/{site}/{agent}/…
const TopicPrefix = "pantau/v1"

// TimeFormat is RFC 3339 in UTC with milliseconds, used for every timestamp
// in a payload.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Timestamp formats t as the contract requires (UTC, milliseconds).
func Timestamp(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Header is embedded first in every payload. Schema names the message type
// and version (for example "pantau.event.motion/v1"). ID is unique per
// message and survives replay, so a subscriber can drop duplicates. Seq
// counts the spooled messages of one camera (events and counts together)
// from 1 upward by one; it is zero and omitted for messages that are not
// spooled (statuses, occupancy, command results). The publisher fills ID and
// Seq; the producer fills the rest.
type Header struct {
	Schema string `json:"schema"`
	ID     string `json:"id"`
	Seq    uint64 `json:"seq,omitempty"`
	TS     string `json:"ts"`
	Site   string `json:"site"`
	Agent  string `json:"agent"`
	Camera string `json:"camera,omitempty"`
}

// Head gives the publisher access to a payload's header.
func (h *Header) Head() *Header { return h }

// Payload is any message body: a struct that embeds Header.
type Payload interface{ Head() *Header }

// Message is one thing to publish. Subtopic is the part after
// pantau/v1/{site}/{agent}/ — for a camera message it starts with the camera
// name ("cam1/event/motion", "cam1/counts", "cam1/status"), for the agent
// "status" or "cmd/reload/result".
type Message struct {
	Subtopic string
	// Camera is the camera the message belongs to ("" for the agent); the
	// spool orders and numbers messages per camera.
	Camera string
	// Retained is set for status and occupancy messages.
	Retained bool
	// Durable messages (events and counts) go through the disk spool and
	// are never lost while the broker is away; others are sent directly
	// (retained status is re-sent on reconnect anyway).
	Durable bool
	Body    Payload
}
