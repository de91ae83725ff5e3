package event

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// NewBody returns an empty payload of the Go type for schema name
// (*Motion for "pantau.event.motion/v1", *Counts for "pantau.counts/v1" …),
// or nil for an unknown name.
func NewBody(schema string) Payload {
	switch schema {
	case SchemaAgentStatus:
		return &AgentStatus{}
	case SchemaCameraStatus:
		return &CameraStatus{}
	case SchemaMotion:
		return &Motion{}
	case SchemaLineCross:
		return &LineCross{}
	case SchemaZoneEnter, SchemaZoneExit, SchemaLoiter:
		return &ZoneEvent{}
	case SchemaIntrusion:
		return &Intrusion{}
	case SchemaTamper:
		return &Tamper{}
	case SchemaCounts:
		return &Counts{}
	case SchemaOccupancy:
		return &Occupancy{}
	case SchemaCommandResult:
		return &CommandResult{}
	}
	return nil
}

// Decode parses a payload received from the broker into its Go type,
// chosen by its "schema" field; unknown fields are errors. It does not
// validate against the JSON Schema (use Validate for that); subscribers
// such as tests and the demo's live view use it to read messages.
func Decode(payload []byte) (Payload, error) {
	var h struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(payload, &h); err != nil {
		return nil, fmt.Errorf("payload is not a JSON object: %w", err)
	}
	body := NewBody(h.Schema)
	if body == nil {
		return nil, fmt.Errorf("unknown schema %q", h.Schema)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(body); err != nil {
		return nil, fmt.Errorf("%s: %w", h.Schema, err)
	}
	return body, nil
}
