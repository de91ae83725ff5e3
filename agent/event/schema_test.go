package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestConstructorsFlagsAndSchemas(t *testing.T) {
	want := map[string]struct {
		subtopic, camera, schema string
		retained, durable        bool
	}{
		"agent status (online)":     {"status", "", SchemaAgentStatus, true, false},
		"camera status":             {"gate/status", "gate", SchemaCameraStatus, true, false},
		"motion":                    {"gate/event/motion", "gate", SchemaMotion, false, true},
		"line_cross":                {"gate/event/line_cross", "gate", SchemaLineCross, false, true},
		"zone_enter":                {"gate/event/zone_enter", "gate", SchemaZoneEnter, false, true},
		"zone_exit":                 {"gate/event/zone_exit", "gate", SchemaZoneExit, false, true},
		"loiter":                    {"gate/event/loiter", "gate", SchemaLoiter, false, true},
		"intrusion":                 {"gate/event/intrusion", "gate", SchemaIntrusion, false, true},
		"tamper":                    {"gate/event/tamper", "gate", SchemaTamper, false, true},
		"counts":                    {"gate/counts", "gate", SchemaCounts, false, true},
		"occupancy":                 {"gate/occupancy", "gate", SchemaOccupancy, true, false},
		"command result (snapshot)": {"cmd/snapshot/result", "", SchemaCommandResult, false, false},
		"command result (error)":    {"cmd/restart/result", "", SchemaCommandResult, false, false},
	}
	seen := map[string]bool{}
	for _, ex := range examples() {
		w, ok := want[ex.name]
		if !ok {
			t.Fatalf("example %q has no expectation", ex.name)
		}
		m := ex.msg
		h := m.Body.Head()
		if m.Subtopic != w.subtopic || m.Camera != w.camera || m.Retained != w.retained || m.Durable != w.durable || h.Schema != w.schema {
			t.Errorf("%s: got subtopic %q camera %q retained %v durable %v schema %q, want %+v",
				ex.name, m.Subtopic, m.Camera, m.Retained, m.Durable, h.Schema, w)
		}
		// The publisher owns ID and Seq of spooled messages.
		if m.Durable && (h.ID != "" || h.Seq != 0) {
			t.Errorf("%s: producer set id %q seq %d; the publisher fills them", ex.name, h.ID, h.Seq)
		}
		if !m.Durable && (h.ID == "" || h.Seq != 0) {
			t.Errorf("%s: direct message has id %q seq %d, want a fresh id and no seq", ex.name, h.ID, h.Seq)
		}
		seen[h.Schema] = true
	}
	for _, s := range Schemas {
		if !seen[s] {
			t.Errorf("no constructor example for schema %s", s)
		}
	}
}

func TestEveryConstructorValidates(t *testing.T) {
	for _, ex := range stamped() {
		m := ex.msg
		if err := ValidateMessage(m); err != nil {
			t.Errorf("%s: %v", ex.name, err)
		}
		b, _ := json.Marshal(m.Body)
		for _, key := range []string{Topic("plant-3", "box-1", m.Subtopic), m.Body.Head().Schema} {
			if err := Validate(key, b); err != nil {
				t.Errorf("%s via %q: %v", ex.name, key, err)
			}
		}
	}
	// Unstamped spooled messages are not yet valid: id and seq are required
	// on the wire.
	for _, ex := range examples() {
		if ex.msg.Durable {
			if err := ValidateMessage(ex.msg); err == nil || !strings.Contains(err.Error(), "seq") {
				t.Errorf("%s without publisher stamp: got %v, want an error about seq/id", ex.name, err)
			}
		}
	}
}

func TestOfflineWillValidates(t *testing.T) {
	w := OfflineWill("plant-3", "box-1")
	if err := Validate("pantau/v1/plant-3/box-1/status", w); err != nil {
		t.Fatalf("will %s: %v", w, err)
	}
	var m map[string]any
	if err := json.Unmarshal(w, &m); err != nil || m["state"] != "offline" || m["will"] != true || m["schema"] != SchemaAgentStatus {
		t.Fatalf("will %s: want state offline, will true, schema %s", w, SchemaAgentStatus)
	}
	if string(w) == string(OfflineWill("plant-3", "box-1")) {
		t.Error("two wills share one id")
	}
	if err := Validate("pantau/v1/plant-3/box-9/status", w); err == nil {
		t.Error("will of box-1 accepted on box-9's topic")
	}
}

func TestEventUnknownType(t *testing.T) {
	_, err := NewEvent("s", "a", "cam1", Fields{Type: "fire", Time: time.Now()})
	if err == nil || !strings.Contains(err.Error(), `"fire"`) {
		t.Fatalf("got %v, want an error naming the type", err)
	}
}

func TestTopics(t *testing.T) {
	topic := Topic("plant-3", "box-1", "gate/event/motion")
	if topic != "pantau/v1/plant-3/box-1/gate/event/motion" {
		t.Fatalf("Topic: %s", topic)
	}
	s, a, sub, err := ParseTopic(topic)
	if err != nil || s != "plant-3" || a != "box-1" || sub != "gate/event/motion" {
		t.Fatalf("ParseTopic: %q %q %q %v", s, a, sub, err)
	}
	for _, bad := range []string{"pantau/v2/s/a/status", "pantau/v1/s/a", "pantau/v1//a/status", "x"} {
		if _, _, _, err := ParseTopic(bad); err == nil {
			t.Errorf("ParseTopic(%q) accepted", bad)
		}
	}
	for _, c := range []struct {
		name   string
		camera bool
		ok     bool
	}{
		{"cam1", true, true}, {"gate.north_2-b", true, true}, {"", false, false},
		{"a/b", true, false}, {"cam+", true, false}, {"#", false, false}, {"kamera ost", true, false},
		{"status", true, false}, {"cmd", true, false}, {"status", false, true},
		{strings.Repeat("x", 65), false, false},
	} {
		if err := CheckName(c.name, c.camera); (err == nil) != c.ok {
			t.Errorf("CheckName(%q, %v) = %v, want ok=%v", c.name, c.camera, err, c.ok)
		}
	}
}

// TestValidateConcurrent: the publisher's and subscribers' goroutines
// validate at once (run with -race).
func TestValidateConcurrent(t *testing.T) {
	ex := stamped()
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				err = ValidateMessage(ex[(g+i)%len(ex)].msg)
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkValidateCounts is the cost of checking one counts payload (what
// a test or a validating subscriber pays per message).
func BenchmarkValidateCounts(b *testing.B) {
	var payload []byte
	for _, ex := range stamped() {
		if ex.name == "counts" {
			payload, _ = json.Marshal(ex.msg.Body)
		}
	}
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := Validate("gate/counts", payload); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRedactedURLsPass: the camera status accepts URLs redacted the way
// devices/urlcred.Redact does it, and URLs without credentials.
func TestRedactedURLsPass(t *testing.T) {
	for _, u := range []string{
		"rtsp://10.0.3.21:554/Streaming/Channels/101",
		"rtsp://xxxxx@10.0.3.21/live",
		"rtsp://xxxxx@10.0.3.21/live?user=xxxxx&password=xxxxx&channel=1",
		"rtsp://10.0.3.21/live?channel=1&subtype=0",
	} {
		m := NewCameraStatus("s", "a", "cam1", exampleTime, CameraStatus{State: StateOffline, URL: u, Error: "connection refused"})
		if err := ValidateMessage(m); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
