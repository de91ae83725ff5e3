package event

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

var printExamples = flag.Bool("print-examples", false, "print the docs/mqtt.md example blocks built by the constructors")

const docPath = "../../docs/mqtt.md"

// docBlock is one ```json block of docs/mqtt.md and what it claims to be.
type docBlock struct {
	line int
	key  string // from <!-- validate: KEY --> before it, else the schema field
	body []byte
}

var validateNote = regexp.MustCompile(`<!--\s*validate:\s*(\S+)\s*-->`)

func docBlocks(t *testing.T) []docBlock {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("read the contract: %v", err)
	}
	var blocks []docBlock
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```json" {
			continue
		}
		blk := docBlock{line: i + 1}
		for j := i - 1; j >= 0 && j >= i-2; j-- {
			if m := validateNote.FindStringSubmatch(lines[j]); m != nil {
				blk.key = m[1]
			}
		}
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		blk.body = []byte(strings.Join(body, "\n"))
		if blk.key == "" {
			var h struct{ Schema string }
			if err := json.Unmarshal(blk.body, &h); err != nil || h.Schema == "" {
				t.Errorf("%s:%d: json block has no schema field and no <!-- validate: … --> note (%v)", docPath, blk.line, err)
				continue
			}
			blk.key = h.Schema
		}
		blocks = append(blocks, blk)
	}
	return blocks
}

// TestDocExamplesValidate checks every JSON example in docs/mqtt.md
// against its schema, and that the contract shows a request body for every
// command.
func TestDocExamplesValidate(t *testing.T) {
	blocks := docBlocks(t)
	if len(blocks) < len(Schemas)+len(Commands) {
		t.Errorf("docs/mqtt.md has %d json examples, want at least %d", len(blocks), len(Schemas)+len(Commands))
	}
	seen := map[string]bool{}
	for _, b := range blocks {
		if err := Validate(b.key, b.body); err != nil {
			t.Errorf("%s:%d (%s): %v", docPath, b.line, b.key, err)
		}
		seen[b.key] = true
	}
	for _, c := range Commands {
		if !seen["cmd/"+c] {
			t.Errorf("docs/mqtt.md has no request example for command %s (<!-- validate: cmd/%s -->)", c, c)
		}
	}
}

// TestDocExamplesComeFromConstructors checks that the contract shows, for
// each message type, exactly what the constructors build (so the doc cannot
// drift from the code). Run with -print-examples to get the blocks.
func TestDocExamplesComeFromConstructors(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("read the contract: %v", err)
	}
	for _, ex := range stamped() {
		block := indent(ex.msg.Body)
		if *printExamples {
			fmt.Printf("### %s\n\n`%s`\n\n```json\n%s\n```\n\n", ex.name, Topic("plant-3", "box-1", ex.msg.Subtopic), block)
		}
		if !bytes.Contains(doc, block) {
			t.Errorf("docs/mqtt.md lacks the constructor-built example %q:\n%s", ex.name, block)
		}
	}
	will := OfflineWill("plant-3", "box-1")
	var w map[string]any
	_ = json.Unmarshal(will, &w)
	for _, k := range []string{"schema", "id", "site", "agent", "state", "will"} {
		if _, ok := w[k]; !ok {
			t.Errorf("OfflineWill lacks %q", k)
		}
	}
}
