package web

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const editSrc = `# top comment
site: s # the site
cameras:
  - name: gate
    url: rtsp://127.0.0.1/x
    # counting rules
    lines:
      - name: door # the shop door
        anchor: center
        points: [[0.5, 0.1], [0.5, 0.9]]
    motion:
      threshold: 30
      masks: [[[0, 0], [0.1, 0], [0.1, 0.1]]]
  - name: yard
    url: rtsp://127.0.0.1/y
`

func editDoc(t *testing.T) (*doc, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pantau.yaml")
	if err := os.WriteFile(p, []byte(editSrc), 0o640); err != nil {
		t.Fatal(err)
	}
	d, err := readDoc(p)
	if err != nil {
		t.Fatal(err)
	}
	return d, p
}

func TestRulesRoundTrip(t *testing.T) {
	d, _ := editDoc(t)
	cam, err := d.camera("gate")
	if err != nil {
		t.Fatal(err)
	}
	r, err := rulesOf(cam)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	want := `{"lines":[{"anchor":"center","name":"door","points":[[0.5,0.1],[0.5,0.9]]}],"zones":[],"masks":[{"name":"mask-1","points":[[0,0],[0.1,0],[0.1,0.1]]}]}`
	if string(b) != want {
		t.Fatalf("rules\n%s\nwant\n%s", b, want)
	}
	if _, err := d.camera("nope"); err != errNoCamera {
		t.Fatalf("unknown camera: %v", err)
	}
}

func TestSetRulesKeepsCommentsAndOrder(t *testing.T) {
	d, _ := editDoc(t)
	cam, _ := d.camera("gate")
	var r Rules
	in := `{"lines":[{"name":"door","points":[[0.45,0.123456],[0.5,0.9]],"anchor":"center","direction":"in"},
	                 {"name":"new","points":[[0.1,0.1],[0.2,0.2]],"classes":["person"]}],
	        "zones":[{"name":"till","points":[[0.1,0.5],[0.3,0.5],[0.3,0.9]],"intrusion":{"schedule":["always"]}}],
	        "masks":[]}`
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if err := setRules(cam, r); err != nil {
		t.Fatal(err)
	}
	out, err := d.encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, w := range []string{
		"# top comment", "site: s # the site", "# counting rules", "- name: door # the shop door",
		// door keeps its key order (anchor before points), new keys after
		"anchor: center\n        points: [[0.45, 0.1235], [0.5, 0.9]]\n        direction: in",
		"- name: new\n        points: [[0.1, 0.1], [0.2, 0.2]]\n        classes: [person]",
		"zones:\n      - name: till", "schedule:\n            - always",
		"motion:\n      threshold: 30", "- name: yard",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("edited file lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "masks") {
		t.Errorf("emptied masks still written:\n%s", s)
	}
}

func TestCommitKeepsBackup(t *testing.T) {
	d, p := editDoc(t)
	staged, err := stage(p, []byte("site: t\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := commit(p, staged, d.raw); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "site: t\n" {
		t.Errorf("file %q", b)
	}
	if b, _ := os.ReadFile(p + ".bak"); string(b) != editSrc {
		t.Errorf("backup %q", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the original 0640", st.Mode().Perm())
	}
	if etagOf([]byte("a")) == etagOf([]byte("b")) {
		t.Error("ETag does not change with the content")
	}
}

func TestBadPoints(t *testing.T) {
	d, _ := editDoc(t)
	cam, _ := d.camera("gate")
	for _, in := range []string{
		`{"lines":[{"name":"x","points":"nope"}]}`,
		`{"lines":[{"name":"x","points":[[0.1]]}]}`,
		`{"lines":[{"name":"x","points":[["a","b"]]}]}`,
	} {
		var r Rules
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatal(err)
		}
		if err := setRules(cam, r); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}
