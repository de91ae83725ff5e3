package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeRoundTrip checks that the Go types and the schemas agree: every
// valid example decodes into its type and encodes back byte for byte.
func TestDecodeRoundTrip(t *testing.T) {
	// The will decodes too; its round trip differs (it is a reduced shape).
	if p, err := Decode(OfflineWill("plant-3", "box-1")); err != nil || !p.(*AgentStatus).Will {
		t.Errorf("Decode(will) = %+v, %v", p, err)
	}
	var payloads [][]byte
	for _, ex := range stamped() {
		b, _ := json.Marshal(ex.msg.Body)
		payloads = append(payloads, b)
	}
	for _, b := range payloads {
		p, err := Decode(b)
		if err != nil {
			t.Errorf("Decode(%s): %v", b, err)
			continue
		}
		if reflect.TypeOf(p) != reflect.TypeOf(NewBody(p.Head().Schema)) {
			t.Errorf("%s decoded as %T", p.Head().Schema, p)
		}
		again, _ := json.Marshal(p)
		var x, y any
		_ = json.Unmarshal(b, &x)
		_ = json.Unmarshal(again, &y)
		if !reflect.DeepEqual(x, y) {
			t.Errorf("round trip changed the payload:\n%s\n%s", b, again)
		}
	}
	for _, bad := range []string{`[]`, `{"schema":"pantau.nope/v1"}`, `{"schema":"pantau.event.motion/v1","colour":"red"}`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) accepted", bad)
		}
	}
}

// FuzzValidate: Validate never panics, and whatever it accepts decodes into
// the Go type of its schema (the schemas are never looser than the types).
// Seeds are the constructor examples.
func FuzzValidate(f *testing.F) {
	for _, ex := range stamped() {
		b, _ := json.Marshal(ex.msg.Body)
		f.Add(ex.msg.Subtopic, b)
	}
	f.Add("status", OfflineWill("s", "a"))
	f.Add("cmd/snapshot", []byte(`{"request_id":"r","camera":"gate"}`))
	f.Fuzz(func(t *testing.T, key string, payload []byte) {
		if Validate(key, payload) != nil {
			return
		}
		if bytes.HasPrefix(bytes.TrimSpace(payload), []byte("{")) && !hasSchema(payload) {
			return // a command request body: no envelope
		}
		if _, err := Decode(payload); err != nil {
			t.Fatalf("valid for %q but does not decode: %v\n%s", key, err, payload)
		}
	})
}

func hasSchema(payload []byte) bool {
	var h struct {
		Schema *string `json:"schema"`
	}
	return json.Unmarshal(payload, &h) == nil && h.Schema != nil
}
