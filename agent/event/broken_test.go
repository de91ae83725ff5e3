package event

import (
	"encoding/json"
	"strings"
	"testing"
)

// payloadOf returns the stamped example called name as a JSON object.
func payloadOf(t *testing.T, name string) (string, map[string]any) {
	t.Helper()
	for _, ex := range stamped() {
		if ex.name == name {
			var m map[string]any
			b, _ := json.Marshal(ex.msg.Body)
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return ex.msg.Subtopic, m
		}
	}
	t.Fatalf("no example %q", name)
	return "", nil
}

// TestBrokenPayloadsFail breaks one thing in a valid message and expects the
// validator to reject it, naming the place.
func TestBrokenPayloadsFail(t *testing.T) {
	cases := []struct {
		name, example string
		breakIt       func(m map[string]any)
		want          string // substring of the error
	}{
		{"missing state", "motion", func(m map[string]any) { delete(m, "state") }, "state"},
		{"bad motion state", "motion", func(m map[string]any) { m["state"] = "begin" }, "/state"},
		{"area as string", "motion", func(m map[string]any) { m["area"] = "0.1" }, "/area"},
		{"area above 1", "motion", func(m map[string]any) { m["area"] = 1.5 }, "/area"},
		{"missing id", "motion", func(m map[string]any) { delete(m, "id") }, "id"},
		{"seq zero", "line_cross", func(m map[string]any) { m["seq"] = 0 }, "/seq"},
		{"seq fractional", "line_cross", func(m map[string]any) { m["seq"] = 1.5 }, "/seq"},
		{"bad direction", "line_cross", func(m map[string]any) { m["direction"] = "left" }, "/direction"},
		{"track as string", "line_cross", func(m map[string]any) { m["track"] = "17" }, "/track"},
		{"ts without ms", "line_cross", func(m map[string]any) { m["ts"] = "2026-11-27T14:03:07Z" }, "/ts"},
		{"ts not UTC", "line_cross", func(m map[string]any) { m["ts"] = "2026-11-27T15:03:07.250+01:00" }, "/ts"},
		{"wrong schema", "zone_exit", func(m map[string]any) { m["schema"] = SchemaZoneEnter }, "/schema"},
		{"type mismatch", "zone_exit", func(m map[string]any) { m["type"] = "zone_enter" }, "/type"},
		{"negative dwell", "loiter", func(m map[string]any) { m["dwell_s"] = -1 }, "/dwell_s"},
		{"enter with dwell", "zone_enter", func(m map[string]any) { m["dwell_s"] = 3 }, "/dwell_s"},
		{"unknown field", "intrusion", func(m map[string]any) { m["score"] = 0.9 }, "score"},
		{"bad tamper kind", "tamper", func(m map[string]any) { m["kind"] = "graffiti" }, "/kind"},
		{"camera of another topic", "tamper", func(m map[string]any) { m["camera"] = "yard" }, "topic says"},
		{"counts missing totals", "counts", func(m map[string]any) { delete(m, "totals") }, "totals"},
		{"counts lines not array", "counts", func(m map[string]any) { m["lines"] = map[string]any{} }, "/lines"},
		{"counts negative frames", "counts", func(m map[string]any) { m["frames_analysed"] = -1 }, "/frames_analysed"},
		{"counts class count string", "counts", func(m map[string]any) {
			m["lines"].([]any)[0].(map[string]any)["in"] = map[string]any{"person": "3"}
		}, "/lines/0/in/person"},
		{"counts unknown event type", "counts", func(m map[string]any) { m["events"] = map[string]any{"fire": 1} }, "'fire'"},
		{"counts zone without max", "counts", func(m map[string]any) {
			delete(m["zones"].([]any)[0].(map[string]any), "max")
		}, "max"},
		{"occupancy total missing", "occupancy", func(m map[string]any) {
			delete(m["zones"].([]any)[0].(map[string]any), "total")
		}, "total"},
		{"status with seq", "camera status", func(m map[string]any) { m["seq"] = 3 }, "seq"},
		{"camera state unknown", "camera status", func(m map[string]any) { m["state"] = "up" }, "/state"},
		{"password in url", "camera status", func(m map[string]any) {
			m["url"] = "rtsp://admin:hunter2@10.0.3.21:554/Streaming/Channels/101"
		}, "/url"},
		{"password in query", "camera status", func(m map[string]any) {
			m["url"] = "rtsp://10.0.3.21:554/live?channel=1&Password=hunter2"
		}, "/url"},
		{"token partly redacted", "camera status", func(m map[string]any) {
			m["url"] = "rtsp://10.0.3.21:554/live?token=xxxxxy"
		}, "/url"},
		{"agent status missing spool", "agent status (online)", func(m map[string]any) { delete(m, "spool") }, "spool"},
		{"agent status cameras as string", "agent status (online)", func(m map[string]any) { m["cameras"] = "2" }, "/cameras"},
		{"agent status with camera", "agent status (online)", func(m map[string]any) { m["camera"] = "gate" }, "camera"},
		{"result not ok without error", "command result (error)", func(m map[string]any) { delete(m, "error") }, "error"},
		{"snapshot result without jpeg or url", "command result (snapshot)", func(m map[string]any) {
			delete(m["result"].(map[string]any), "url")
		}, "/result"},
		{"ok result with error", "command result (snapshot)", func(m map[string]any) { m["error"] = "x" }, "error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub, m := payloadOf(t, c.example)
			b, _ := json.Marshal(m)
			if err := Validate(sub, b); err != nil {
				t.Fatalf("unbroken %s does not validate: %v", c.example, err)
			}
			c.breakIt(m)
			b, _ = json.Marshal(m)
			err := Validate(sub, b)
			if err == nil {
				t.Fatalf("accepted %s", b)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestValidateBadKeysAndJSON(t *testing.T) {
	for _, c := range []struct{ key, payload, want string }{
		{"gate/events/motion", `{}`, "not a topic"},
		{"gate/event/fire", `{}`, "not a topic"},
		{"pantau.event.fire/v1", `{}`, "unknown schema"},
		{"cmd/restart", `{"request_id":"1"}`, "no schema"},
		{"gate/counts", `{"schema":`, "not JSON"},
		{"counts", `[]`, "pantau.counts/v1"},
	} {
		if err := Validate(c.key, []byte(c.payload)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%q, %s) = %v, want error with %q", c.key, c.payload, err, c.want)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       Command
		err        string
	}{
		{"reload", `{"request_id":"r1"}`, Command{RequestID: "r1"}, ""},
		{"status", `{"request_id":"r2"}`, Command{RequestID: "r2"}, ""},
		{"snapshot", `{"request_id":"r3","camera":"gate","inline":true}`, Command{RequestID: "r3", Camera: "gate", Inline: true}, ""},
		{"discover", `{"request_id":"r4","timeout_s":2.5}`, Command{RequestID: "r4", TimeoutS: 2.5}, ""},
		{"snapshot", `{"request_id":"r5"}`, Command{RequestID: "r5"}, "camera"},
		{"discover", `{"request_id":"r6","timeout_s":600}`, Command{RequestID: "r6"}, "/timeout_s"},
		{"reload", `{"request_id":"r7","force":true}`, Command{RequestID: "r7"}, "force"},
		{"reload", `{}`, Command{}, "request_id"},
		{"reload", `{"request_id":7}`, Command{}, "/request_id"},
		{"reload", `not json`, Command{}, "not JSON"},
		{"restart", `{"request_id":"r8"}`, Command{RequestID: "r8"}, `unknown command "restart"`},
	} {
		got, err := ParseCommand(c.name, []byte(c.body))
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ParseCommand(%s, %s) error %v, want %q", c.name, c.body, err, c.err)
		}
		if got != c.want {
			t.Errorf("ParseCommand(%s, %s) = %+v, want %+v", c.name, c.body, got, c.want)
		}
	}
}
