package config

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// typePaths lists every key path the schema accepts, with "[]" for list
// elements: "cameras[].lines[].anchor".
func typePaths(prefix string, t reflect.Type, out map[string]bool) {
	switch t {
	case durationType, pointType, bytesType:
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		typePaths(prefix, t.Elem(), out)
	case reflect.Slice:
		typePaths(prefix+"[]", t.Elem(), out)
	case reflect.Struct:
		for key, i := range fieldsByKey(t) {
			p := join(prefix, key)
			out[p] = true
			typePaths(p, t.Field(i).Type, out)
		}
	}
}

// nodePaths lists every key path present in a YAML document.
func nodePaths(prefix string, n *yaml.Node, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			nodePaths(prefix, c, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			nodePaths(prefix+"[]", c, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(prefix, n.Content[i].Value)
			out[p] = true
			nodePaths(p, n.Content[i+1], out)
		}
	}
}

// TestFullYAMLDocumentsEveryKey keeps configs/full.yaml complete: every
// key of the schema must appear in it (camera keys under defaults or
// under a camera).
func TestFullYAMLDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../configs/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	nodePaths("", &doc, have)
	want := map[string]bool{}
	typePaths("", reflect.TypeOf(Config{}), want)
	var missing []string
	for p := range want {
		if have[p] {
			continue
		}
		if rest, ok := strings.CutPrefix(p, "cameras[]."); ok && have["defaults."+rest] {
			continue
		}
		if rest, ok := strings.CutPrefix(p, "defaults."); ok && have["cameras[]."+rest] {
			continue
		}
		if p == "defaults.name" || p == "defaults.url" || p == "defaults.onvif" {
			continue // not allowed in defaults
		}
		if strings.HasPrefix(p, "mqtt.commands.") {
			continue // the old name of commands, documented as such (mqtt.commands)
		}
		missing = append(missing, p)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("configs/full.yaml does not document:\n%s", strings.Join(missing, "\n"))
	}
}
