package event

import (
	"fmt"

	"github.com/pantau/pantau/vision"
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

// NewEvent converts an analyzer event into its message, choosing the payload
// by ev.Type. It returns an error for an unknown type. Header.ID and
// Header.Seq are left zero for the publisher, which spools the message.
func NewEvent(site, agent, camera string, ev vision.Event) (Message, error) {
	h := Header{TS: Timestamp(ev.Time), Site: site, Agent: agent, Camera: camera}
	var body Payload
	switch ev.Type {
	case vision.EventMotion:
		h.Schema = SchemaMotion
		body = &Motion{Header: h, Type: ev.Type, State: ev.State, Area: ev.Area}
	case vision.EventLineCross:
		h.Schema = SchemaLineCross
		body = &LineCross{Header: h, Type: ev.Type, Rule: ev.Rule, Direction: ev.Direction, Class: ev.Class, Track: ev.Track}
	case vision.EventZoneEnter, vision.EventZoneExit, vision.EventLoiter:
		h.Schema = "pantau.event." + ev.Type + "/v1"
		body = &ZoneEvent{Header: h, Type: ev.Type, Rule: ev.Rule, Class: ev.Class, Track: ev.Track, DwellS: ev.Dwell.Seconds()}
	case vision.EventIntrusion:
		h.Schema = SchemaIntrusion
		body = &Intrusion{Header: h, Type: ev.Type, Rule: ev.Rule, Class: ev.Class, Track: ev.Track}
	case vision.EventTamper:
		h.Schema = SchemaTamper
		body = &Tamper{Header: h, Type: ev.Type, Kind: ev.Kind, State: ev.State}
	default:
		return Message{}, fmt.Errorf("camera %s: unknown event type %q", camera, ev.Type)
	}
	return Message{Subtopic: camera + "/event/" + ev.Type, Camera: camera, Durable: true, Body: body}, nil
}

// typed converts ev as the given type whatever ev.Type says.
func typed(site, agent, camera, typ string, ev vision.Event) Message {
	ev.Type = typ
	m, err := NewEvent(site, agent, camera, ev)
	if err != nil {
		panic(err) // typ is one of the known constants
	}
	return m
}

// NewMotion returns the motion event message for ev (State, Area, Time).
func NewMotion(site, agent, camera string, ev vision.Event) Message {
	return typed(site, agent, camera, vision.EventMotion, ev)
}

// NewLineCross returns the line_cross message for ev (Rule, Direction,
// Class, Track, Time).
func NewLineCross(site, agent, camera string, ev vision.Event) Message {
	return typed(site, agent, camera, vision.EventLineCross, ev)
}

// NewZoneEnter returns the zone_enter message for ev.
func NewZoneEnter(site, agent, camera string, ev vision.Event) Message {
	return typed(site, agent, camera, vision.EventZoneEnter, ev)
}

// NewZoneExit returns the zone_exit message for ev (Dwell is the stay).
func NewZoneExit(site, agent, camera string, ev vision.Event) Message {
	return typed(site, agent, camera, vision.EventZoneExit, ev)
}

// NewLoiter returns the loiter message for ev (Dwell is the stay so far).
func NewLoiter(site, agent, camera string, ev vision.Event) Message {
	return typed(site, agent, camera, vision.EventLoiter, ev)
}

// NewIntrusion returns the intrusion message for ev.
func NewIntrusion(site, agent, camera string, ev vision.Event) Message {
	return typed(site, agent, camera, vision.EventIntrusion, ev)
}

// NewTamper returns the tamper message for ev (Kind, State).
func NewTamper(site, agent, camera string, ev vision.Event) Message {
	return typed(site, agent, camera, vision.EventTamper, ev)
}
