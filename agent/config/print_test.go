package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestYAMLRoundTrip prints the effective config of every shipped example
// and parses it again: the result must equal the original with secrets
// redacted, and no secret may be printed.
func TestYAMLRoundTrip(t *testing.T) {
	for _, f := range []string{"../../configs/full.yaml", "../../configs/pantau.yaml", "../../configs/demo.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out, err := c.YAML()
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"secret@", "change-me"} {
			if strings.Contains(string(out), secret) {
				t.Errorf("%s: printed config contains %q", f, secret)
			}
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("%s: printed config does not parse:\n%v\n%s", f, err, out)
		}
		if want := c.Redacted(); !reflect.DeepEqual(back, want) {
			t.Errorf("%s: round trip differs:\n got %+v\nwant %+v", f, back, want)
		}
	}
}
