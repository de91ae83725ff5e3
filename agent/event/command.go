package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Command names: a command centre publishes a JSON body to
// pantau/v1/{site}/{agent}/cmd/{name} and the agent answers on
// …/cmd/{name}/result with a CommandResult.
const (
	CmdReload   = "reload"   // re-read the config file and apply it
	CmdSnapshot = "snapshot" // a JPEG of a camera's current frame
	CmdDiscover = "discover" // run ONVIF discovery now
	CmdStatus   = "status"   // re-publish statuses and answer with them
)

// Commands lists the command names of contract v1.
var Commands = []string{CmdReload, CmdSnapshot, CmdDiscover, CmdStatus}

// Command is a decoded command body. Which fields a command accepts is fixed
// by its schema (agent/event/schema/command.{name}.json); unknown keys are
// errors.
type Command struct {
	// RequestID is chosen by the sender (1–128 characters) and echoed in
	// the result.
	RequestID string `json:"request_id"`
	// ID identifies the command for dedupe: one seen in the last hour is
	// answered again, not run again. Without it, RequestID is used.
	ID string `json:"id,omitempty"`
	// TS is when the command was sent (RFC 3339). The agent refuses a
	// command without it, or older than commands.max_age.
	TS string `json:"ts,omitempty"`
	// Camera names the camera (snapshot: required).
	Camera string `json:"camera,omitempty"`
	// Inline asks snapshot to return the JPEG as base64 in the result
	// instead of a URL on the agent's HTTP server.
	Inline bool `json:"inline,omitempty"`
	// TimeoutS bounds discover (seconds, 0.1–60; it defaults to 3 s).
	TimeoutS float64 `json:"timeout_s,omitempty"`
}

// ParseCommand checks that name is a known command and body a valid JSON
// body for it (against its schema), and decodes it. The error names the
// command and what is wrong, fit for CommandResult.Error. When the body is
// a JSON object with a string request_id, the returned Command carries it
// even on error, so the error result can echo it.
func ParseCommand(name string, body []byte) (Command, error) {
	var c Command
	var probe struct {
		RequestID any `json:"request_id"`
	}
	if json.Unmarshal(body, &probe) == nil {
		if s, ok := probe.RequestID.(string); ok {
			c.RequestID = s
		}
	}
	known := false
	for _, n := range Commands {
		known = known || n == name
	}
	if !known {
		return c, fmt.Errorf("unknown command %q (known: reload, snapshot, discover, status)", name)
	}
	if err := Validate("cmd/"+name, body); err != nil {
		return c, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("command %s: %w", name, err)
	}
	return c, nil
}

// CommandResult is the payload at …/cmd/{name}/result. Not retained, not
// spooled (QoS 1 while connected).
type CommandResult struct {
	Header
	Command   string `json:"command"`
	RequestID string `json:"request_id"` // echoed from the command; "" if it had none
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"` // set when OK is false
	// Result is the command's answer when OK: SnapshotResult for snapshot,
	// any JSON value for the others (see docs/mqtt.md).
	Result any `json:"result,omitempty"`
}

// SnapshotResult is the result of the snapshot command: the JPEG either
// inline (JPEGBase64, standard base64) or as a URL on the agent's HTTP
// server.
type SnapshotResult struct {
	Camera      string `json:"camera"`
	ContentType string `json:"content_type"` // "image/jpeg"
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Taken       string `json:"taken"` // Timestamp of the frame
	JPEGBase64  string `json:"jpeg_base64,omitempty"`
	URL         string `json:"url,omitempty"`
}

// NewCommandResult returns the answer to command name with the sender's
// requestID: OK with result when err is nil, else not OK with err's text
// (which must not hold secrets). Not retained, not spooled.
func NewCommandResult(site, agent, name, requestID string, now time.Time, result any, err error) Message {
	r := &CommandResult{
		Header:    Header{Schema: SchemaCommandResult, ID: NewID(), TS: Timestamp(now), Site: site, Agent: agent},
		Command:   name,
		RequestID: requestID,
		OK:        err == nil,
	}
	if err != nil {
		r.Error = err.Error()
	} else {
		r.Result = result
	}
	return Message{Subtopic: "cmd/" + name + "/result", Body: r}
}
