package event

import (
	"fmt"
	"time"
)

// Event payloads, published at …/{camera}/event/{type} (QoS 1, durable, not
// retained). Header.TS is the capture time of the frame in which the
// analyzer saw the event. Every payload repeats its type in "type" so a
// subscriber that reads only the body can dispatch on it.

// Motion is a motion start or end (type "motion").
type Motion struct {
	Header
	Type  string  `json:"type"`
	State string  `json:"state"` // "start" or "end"
	Area  float64 `json:"area"`  // normalised moving area (0–1) in the frame
}

// LineCross is a track crossing a counting line (type "line_cross").
type LineCross struct {
	Header
	Type      string `json:"type"`
	Rule      string `json:"rule"`      // line name
	Direction string `json:"direction"` // "in" or "out"
	Class     string `json:"class"`
	Track     int    `json:"track"`
}

// ZoneEvent is a track entering or leaving a zone, or staying too long
// (types "zone_enter", "zone_exit", "loiter").
type ZoneEvent struct {
	Header
	Type  string `json:"type"`
	Rule  string `json:"rule"` // zone name
	Class string `json:"class"`
	Track int    `json:"track"`
	// DwellS is how long the track has been in the zone: 0 on zone_enter,
	// the total stay on zone_exit, the stay so far on loiter.
	DwellS float64 `json:"dwell_s"`
}

// Intrusion is a track of a watched class entering a zone while it is armed
// (type "intrusion").
type Intrusion struct {
	Header
	Type  string `json:"type"`
	Rule  string `json:"rule"`
	Class string `json:"class"`
	Track int    `json:"track"`
}

// Tamper is a tampering condition raised or cleared (type "tamper").
type Tamper struct {
	Header
	Type  string `json:"type"`
	Kind  string `json:"kind"`  // "covered", "defocus", "scene_change", "video_loss"
	State string `json:"state"` // "raised" or "cleared"
}

// Event types, as they appear in topics (…/event/{type}) and in "type".
const (
	TypeMotion    = "motion"
	TypeLineCross = "line_cross"
	TypeZoneEnter = "zone_enter"
	TypeZoneExit  = "zone_exit"
	TypeLoiter    = "loiter"
	TypeIntrusion = "intrusion"
	TypeTamper    = "tamper"
)

// Fields are what an analyzer saw, in the contract's terms; NewEvent puts
// the ones its Type uses into the payload and ignores the others. The
// aggregator fills them from vision.Event, so this package needs nothing
// from the analyzers.
type Fields struct {
	Type      string    // one of the Type* constants
	Time      time.Time // capture time of the frame
	Rule      string    // line or zone name
	Class     string    // "person", "car", … ("object" from the blob detector)
	Track     int
	Direction string        // "in" or "out" (line_cross)
	State     string        // "start"/"end" (motion), "raised"/"cleared" (tamper)
	Kind      string        // tamper kind
	Dwell     time.Duration // time in the zone (zone_exit, loiter)
	Area      float64       // normalised moving area (motion)
}

// NewEvent converts an analyzer event into its message, choosing the payload
// by ev.Type. It returns an error for an unknown type. Header.ID and
// Header.Seq are left zero for the publisher, which spools the message.
func NewEvent(site, agent, camera string, ev Fields) (Message, error) {
	h := Header{TS: Timestamp(ev.Time), Site: site, Agent: agent, Camera: camera}
	var body Payload
	switch ev.Type {
	case TypeMotion:
		h.Schema = SchemaMotion
		body = &Motion{Header: h, Type: ev.Type, State: ev.State, Area: ev.Area}
	case TypeLineCross:
		h.Schema = SchemaLineCross
		body = &LineCross{Header: h, Type: ev.Type, Rule: ev.Rule, Direction: ev.Direction, Class: ev.Class, Track: ev.Track}
	case TypeZoneEnter, TypeZoneExit, TypeLoiter:
		h.Schema = "pantau.event." + ev.Type + "/v1"
		body = &ZoneEvent{Header: h, Type: ev.Type, Rule: ev.Rule, Class: ev.Class, Track: ev.Track, DwellS: ev.Dwell.Seconds()}
	case TypeIntrusion:
		h.Schema = SchemaIntrusion
		body = &Intrusion{Header: h, Type: ev.Type, Rule: ev.Rule, Class: ev.Class, Track: ev.Track}
	case TypeTamper:
		h.Schema = SchemaTamper
		body = &Tamper{Header: h, Type: ev.Type, Kind: ev.Kind, State: ev.State}
	default:
		return Message{}, fmt.Errorf("camera %s: unknown event type %q", camera, ev.Type)
	}
	return Message{Subtopic: camera + "/event/" + ev.Type, Camera: camera, Durable: true, Body: body}, nil
}
