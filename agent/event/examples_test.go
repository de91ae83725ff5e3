package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// example is one message as the publisher sends it, built by the real
// constructors; docs/mqtt.md shows each verbatim.
type example struct {
	name string
	msg  Message
}

var exampleTime = time.Date(2026, 11, 27, 14, 3, 7, 250*int(time.Millisecond), time.UTC)

// stamp does what the publisher does: fill ID (fixed here so the docs are
// stable) and, for spooled messages, the camera's next Seq.
func stamp(m Message, n int, seq uint64) Message {
	h := m.Body.Head()
	h.ID = fmt.Sprintf("01jdx5r2k8c3v7n9q4w6e0t%03d", n)
	if m.Durable {
		h.Seq = seq
	}
	return m
}

// examples returns one message of every type, in the order of docs/mqtt.md.
func examples() []example {
	const site, agent, cam = "plant-3", "box-1", "gate"
	t := exampleTime
	ev := func(e Fields) Fields { e.Time = t; return e }
	must := func(m Message, err error) Message {
		if err != nil {
			panic(err)
		}
		return m
	}
	counts := NewCounts(site, agent, cam, t.Truncate(time.Minute), Counts{
		Start: Timestamp(t.Truncate(time.Minute).Add(-time.Minute)), End: Timestamp(t.Truncate(time.Minute)),
		IntervalS: 60, FramesAnalysed: 598, MotionS: 41.3,
		Events: map[string]int{"motion": 2, "line_cross": 5, "zone_enter": 3, "zone_exit": 2},
		Lines:  []LineCount{{Rule: "mid", In: map[string]int{"person": 3}, Out: map[string]int{"person": 1, "car": 1}}},
		Zones: []ZoneStats{{Rule: "plaza", Max: 3, Avg: 1.42,
			Entries: map[string]int{"person": 3}, Exits: map[string]int{"person": 2},
			MeanDwellS: map[string]float64{"person": 17.5}}},
		TotalsSince: Timestamp(time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)),
		Totals: Totals{
			Lines: []LineCount{{Rule: "mid", In: map[string]int{"person": 212, "car": 4}, Out: map[string]int{"person": 198, "car": 6}}},
			Zones: []ZoneTotals{{Rule: "plaza", Entries: map[string]int{"person": 87}, Exits: map[string]int{"person": 85}}},
		},
	})
	snapshot := SnapshotResult{Camera: cam, ContentType: "image/jpeg", Width: 1920, Height: 1080,
		Taken: Timestamp(t.Add(-40 * time.Millisecond)), URL: "http://10.0.3.5:9090/snapshot/gate.jpg"}
	return []example{
		{"agent status (online)", NewAgentStatus(site, agent, t, AgentStatus{
			State: StateOnline, Version: "0.1.0", Started: Timestamp(time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)),
			UptimeS: 29587.25, Cameras: 2, CamerasOnline: 1,
			Spool: SpoolStatus{Messages: 12, Bytes: 5230, MaxBytes: 268435456, OldestAgeS: 3.2}})},
		{"camera status", NewCameraStatus(site, agent, cam, t, CameraStatus{
			State: StateOnline, FPS: 9.97, LastFrame: Timestamp(t.Add(-80 * time.Millisecond)),
			DecodeMode: "full", Codec: "h264", Width: 1920, Height: 1080,
			URL:          "rtsp://xxxxx@10.0.3.21:554/Streaming/Channels/101",
			Manufacturer: "HIKVISION", Model: "DS-2CD2143G2-I", Serial: "DS-2CD2143G2-I20230405AAWRK12345678",
			Profile: "Profile_1", Source: SourceDiscovery, View: "ir", ViewChanged: "2026-11-27T13:58:41.300Z"})},
		{"motion", must(NewEvent(site, agent, cam, ev(Fields{Type: TypeMotion, State: "start", Area: 0.031})))},
		{"line_cross", must(NewEvent(site, agent, cam, ev(Fields{Type: TypeLineCross, Rule: "mid", Direction: "in", Class: "person", Track: 17})))},
		{"zone_enter", must(NewEvent(site, agent, cam, ev(Fields{Type: TypeZoneEnter, Rule: "plaza", Class: "person", Track: 17})))},
		{"zone_exit", must(NewEvent(site, agent, cam, ev(Fields{Type: TypeZoneExit, Rule: "plaza", Class: "person", Track: 17, Dwell: 12400 * time.Millisecond})))},
		{"loiter", must(NewEvent(site, agent, cam, ev(Fields{Type: TypeLoiter, Rule: "plaza", Class: "person", Track: 21, Dwell: 60 * time.Second})))},
		{"intrusion", must(NewEvent(site, agent, cam, ev(Fields{Type: TypeIntrusion, Rule: "yard", Class: "person", Track: 23})))},
		{"tamper", must(NewEvent(site, agent, cam, ev(Fields{Type: TypeTamper, Kind: "covered", State: "raised"})))},
		{"counts", counts},
		{"occupancy", NewOccupancy(site, agent, cam, t, []ZoneOccupancy{
			{Rule: "plaza", ByClass: map[string]int{"person": 2, "car": 0}}, {Rule: "yard", ByClass: map[string]int{}}})},
		{"command result (snapshot)", NewCommandResult(site, agent, CmdSnapshot, "req-42", t, snapshot, nil)},
		{"command result (error)", NewCommandResult(site, agent, "restart", "req-43", t, nil,
			errors.New(`unknown command "restart" (known: reload, snapshot, discover, status)`))},
	}
}

// stamped returns examples() with IDs and per-camera seqs filled.
func stamped() []example {
	ex := examples()
	seq := map[string]uint64{}
	for i := range ex {
		m := ex[i].msg
		if m.Durable {
			seq[m.Camera]++
		}
		ex[i].msg = stamp(m, i, 4810+seq[m.Camera])
	}
	return ex
}

// indent renders a body as docs/mqtt.md shows it.
func indent(p Payload) []byte {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}
