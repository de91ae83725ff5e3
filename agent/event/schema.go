package event

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaFS holds the JSON Schemas (draft 2020-12) of contract v1, one file
// per message type named after its schema ("pantau.counts/v1" →
// "schema/counts.v1.json"), the command request bodies
// ("schema/command.reload.v1.json" …) and the shared definitions
// ("schema/common.json").
//
//go:embed schema/*.json
var SchemaFS embed.FS

// schemaBase is the base URL of the schemas' $id; it names no real host.
const schemaBase = "https://pantau.invalid/schema/"

var compiled struct {
	once    sync.Once
	schemas map[string]*jsonschema.Schema // by schema name, e.g. "pantau.counts/v1"
	err     error
}

// SchemaFile returns the file in SchemaFS that describes schema name (for
// example "pantau.event.motion/v1" → "schema/event.motion.v1.json").
func SchemaFile(name string) string {
	base, ver, _ := strings.Cut(strings.TrimPrefix(name, "pantau."), "/")
	return "schema/" + base + "." + ver + ".json"
}

func compileSchemas() {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	files, err := fs.Glob(SchemaFS, "schema/*.json")
	if err != nil {
		compiled.err = err
		return
	}
	for _, f := range files {
		b, err := SchemaFS.ReadFile(f)
		if err != nil {
			compiled.err = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			compiled.err = fmt.Errorf("%s: %w", f, err)
			return
		}
		if err := c.AddResource(schemaBase+path.Base(f), doc); err != nil {
			compiled.err = fmt.Errorf("%s: %w", f, err)
			return
		}
	}
	names := append([]string{}, Schemas...)
	for _, cmd := range Commands {
		names = append(names, commandSchema(cmd))
	}
	compiled.schemas = make(map[string]*jsonschema.Schema, len(names))
	for _, n := range names {
		s, err := c.Compile(schemaBase + path.Base(SchemaFile(n)))
		if err != nil {
			compiled.err = fmt.Errorf("schema %s: %w", n, err)
			return
		}
		compiled.schemas[n] = s
	}
}

// commandSchema names the schema of a command's request body.
func commandSchema(cmd string) string { return "pantau.command." + cmd + "/v1" }

// target is what a topic or type says a payload must be.
type target struct {
	schema string
	// Expected envelope values taken from a topic; "" means unchecked.
	site, agent, camera string
}

// resolve maps Validate's first argument to a schema. It accepts a schema
// name, a full topic, a subtopic, or a bare type ("motion", "counts",
// "occupancy", "status" for the agent status).
func resolve(key string) (target, error) {
	if strings.HasPrefix(key, "pantau.") {
		if _, ok := compiled.schemas[key]; ok {
			return target{schema: key}, nil
		}
		return target{}, fmt.Errorf("unknown schema %q", key)
	}
	var t target
	sub := key
	if strings.HasPrefix(key, TopicPrefix+"/") {
		var err error
		if t.site, t.agent, sub, err = ParseTopic(key); err != nil {
			return target{}, err
		}
	}
	p := strings.Split(sub, "/")
	switch {
	case len(p) == 1 && p[0] == "status":
		t.schema = SchemaAgentStatus
	case len(p) == 1 && (p[0] == "counts" || p[0] == "occupancy"):
		t.schema = "pantau." + p[0] + "/v1"
	case len(p) == 1 && isEventType(p[0]):
		t.schema = "pantau.event." + p[0] + "/v1"
	case len(p) == 2 && p[0] == "cmd":
		t.schema = commandSchema(p[1])
	case len(p) == 3 && p[0] == "cmd" && p[2] == "result":
		t.schema = SchemaCommandResult
	case len(p) == 2 && p[1] == "status":
		t.schema, t.camera = SchemaCameraStatus, p[0]
	case len(p) == 2 && (p[1] == "counts" || p[1] == "occupancy"):
		t.schema, t.camera = "pantau."+p[1]+"/v1", p[0]
	case len(p) == 3 && p[1] == "event" && isEventType(p[2]):
		t.schema, t.camera = "pantau.event."+p[2]+"/v1", p[0]
	default:
		return target{}, fmt.Errorf("%q is not a topic, subtopic or type of contract v1", key)
	}
	if _, ok := compiled.schemas[t.schema]; !ok {
		return target{}, fmt.Errorf("%q: no schema %s (unknown command?)", key, t.schema)
	}
	return t, nil
}

func isEventType(s string) bool {
	switch s {
	case "motion", "line_cross", "zone_enter", "zone_exit", "loiter", "intrusion", "tamper":
		return true
	}
	return false
}

// Validate checks payload against the JSON Schema of contract v1 chosen by
// subtopicOrType: a schema name ("pantau.counts/v1"), a full topic
// ("pantau/v1/site/box/cam1/counts"), a subtopic ("cam1/event/motion",
// "status", "cmd/reload", "cmd/reload/result") or a bare type ("motion",
// "counts", "occupancy"). Given a topic or subtopic it also checks that the
// payload's site, agent and camera match it. The error names the schema and
// every violation with its JSON pointer. Safe for concurrent use.
func Validate(subtopicOrType string, payload []byte) error {
	compiled.once.Do(compileSchemas)
	if compiled.err != nil {
		return fmt.Errorf("event: embedded schemas: %w", compiled.err)
	}
	t, err := resolve(subtopicOrType)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%s: payload is not JSON: %w", t.schema, err)
	}
	if err := compiled.schemas[t.schema].Validate(inst); err != nil {
		return fmt.Errorf("%s: %w", t.schema, err)
	}
	if strings.HasPrefix(t.schema, "pantau.command.") && t.schema != SchemaCommandResult {
		return nil // request bodies carry no envelope
	}
	obj, _ := inst.(map[string]any)
	for _, f := range []struct{ key, want string }{{"site", t.site}, {"agent", t.agent}, {"camera", t.camera}} {
		if f.want != "" && obj[f.key] != f.want {
			return fmt.Errorf("%s: %s is %v but the topic says %q", t.schema, f.key, obj[f.key], f.want)
		}
	}
	return nil
}

// ValidateMessage marshals m's body and validates it against the schema its
// subtopic names, as the publisher will send it. The publisher's ID and Seq
// must already be filled for durable messages.
func ValidateMessage(m Message) error {
	b, err := json.Marshal(m.Body)
	if err != nil {
		return fmt.Errorf("%s: marshal: %w", m.Subtopic, err)
	}
	return Validate(m.Subtopic, b)
}
