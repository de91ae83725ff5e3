package event

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// Schema names, one per message type; each payload's "schema" field holds
// one of them and agent/event/schema/{name}.json describes it. A breaking
// change to a payload gets a new version (".../v2") and a new file.
const (
	SchemaAgentStatus   = "pantau.agent.status/v1"
	SchemaCameraStatus  = "pantau.camera.status/v1"
	SchemaMotion        = "pantau.event.motion/v1"
	SchemaLineCross     = "pantau.event.line_cross/v1"
	SchemaZoneEnter     = "pantau.event.zone_enter/v1"
	SchemaZoneExit      = "pantau.event.zone_exit/v1"
	SchemaLoiter        = "pantau.event.loiter/v1"
	SchemaIntrusion     = "pantau.event.intrusion/v1"
	SchemaTamper        = "pantau.event.tamper/v1"
	SchemaCounts        = "pantau.counts/v1"
	SchemaOccupancy     = "pantau.occupancy/v1"
	SchemaCommandResult = "pantau.command.result/v1"
)

// Schemas lists every message schema name, in the order docs/mqtt.md
// describes them.
var Schemas = []string{
	SchemaAgentStatus, SchemaCameraStatus,
	SchemaMotion, SchemaLineCross, SchemaZoneEnter, SchemaZoneExit,
	SchemaLoiter, SchemaIntrusion, SchemaTamper,
	SchemaCounts, SchemaOccupancy, SchemaCommandResult,
}

// Topic returns the full MQTT topic of a message:
// pantau/v1/{site}/{agent}/{subtopic}.
func Topic(site, agent, subtopic string) string {
	return TopicPrefix + "/" + site + "/" + agent + "/" + subtopic
}

// ParseTopic splits a full contract-v1 topic into site, agent and subtopic.
// It returns an error naming the topic when it does not start with
// pantau/v1/{site}/{agent}/.
func ParseTopic(topic string) (site, agent, subtopic string, err error) {
	rest, ok := strings.CutPrefix(topic, TopicPrefix+"/")
	if !ok {
		return "", "", "", fmt.Errorf("topic %q: does not start with %s/", topic, TopicPrefix)
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", fmt.Errorf("topic %q: want %s/{site}/{agent}/{subtopic}", topic, TopicPrefix)
	}
	return parts[0], parts[1], parts[2], nil
}

// reservedNames cannot be camera names: they would make a camera's topics
// ambiguous with the agent's own (…/status, …/cmd/…).
var reservedNames = map[string]bool{"status": true, "cmd": true}

// CheckName reports whether s can be used as a site, agent or camera name in
// a topic: 1–64 characters from A–Z a–z 0–9 '_' '-' '.', and for cameras
// (camera true) not "status" or "cmd". The error says what is wrong; the
// caller prefixes the config key.
func CheckName(s string, camera bool) error {
	if s == "" {
		return fmt.Errorf("empty name")
	}
	if len(s) > 64 {
		return fmt.Errorf("name %q is longer than 64 characters", s)
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.'
		if !ok {
			return fmt.Errorf("name %q: character %q not allowed in an MQTT topic level (use A-Z a-z 0-9 _ - .)", s, c)
		}
	}
	if camera && reservedNames[s] {
		return fmt.Errorf("camera name %q is reserved (it would clash with the agent's own topics)", s)
	}
	return nil
}

// NewID returns a random 128-bit message id as 32 hex digits. Constructors
// of messages that bypass the spool fill their ID with it; the publisher may
// use it for durable messages too.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
