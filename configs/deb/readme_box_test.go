package deb

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README section TestBareDebian12 follows on the bare root.
const technicianSection = "## A field technician's path"

// readmeBlocks returns the ```sh blocks of a README section, each as its
// lines: continuation lines joined, trailing comments dropped, comment
// lines kept (they mark where the offline recipe moves to the box).
func readmeBlocks(t *testing.T, section string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+section+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q section", section)
	}
	text = text[i+len(section)+2:]
	if j := strings.Index(text, "\n## "); j >= 0 {
		text = text[:j]
	}
	trailing := regexp.MustCompile(`\s+#\s.*$`)
	var blocks [][]string
	for _, part := range strings.Split(text, "```sh\n")[1:] {
		body, _, _ := strings.Cut(part, "```")
		body = strings.ReplaceAll(body, "\\\n", " ")
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			l = strings.TrimSpace(l)
			if !strings.HasPrefix(l, "#") {
				l = strings.TrimSpace(trailing.ReplaceAllString(l, ""))
			}
			l = regexp.MustCompile(`\s{2,}`).ReplaceAllString(l, " ")
			if l != "" {
				lines = append(lines, l)
			}
		}
		blocks = append(blocks, lines)
	}
	return blocks
}

// technicianSteps are the commands of the section's first block, in the
// README's order; the test runs each (or says why not).
var technicianSteps = []struct{ name, re string }{
	{"install", `^apt install \./pantau_\*_arm64\.deb$`},
	{"version", `^pantau version$`},
	{"discover", `^pantau discover --user admin --password 'CAMERA-PASSWORD'$`},
	{"write-config", `^pantau discover --user admin --password 'CAMERA-PASSWORD' --write-config cameras\.yaml$`},
	{"edit", `^editor cameras\.yaml$`},
	{"install-config", `^install -m 0640 -o pantau -g pantau cameras\.yaml /etc/pantau/pantau\.yaml$`},
	{"check", `^pantau check -c /etc/pantau/pantau\.yaml$`},
	{"enable", `^systemctl enable --now pantau$`},
	{"journal", `^journalctl -u pantau -f$`},
	{"subscribe", `^mosquitto_sub -h BROKER-HOST -t 'pantau/v1/#' -v$`},
}

// technicianPath returns the README's technician commands by step name
// and the offline recipe: the commands run where there is network, and
// those run on the box. A README command the test does not know, or a
// step missing or out of order, fails the test: the README and the test
// must change together.
func technicianPath(t *testing.T) (steps map[string]string, fetch, offline []string) {
	t.Helper()
	blocks := readmeBlocks(t, technicianSection)
	if len(blocks) < 2 {
		t.Fatalf("README %q: want two sh blocks (the path, the offline recipe), found %d", technicianSection, len(blocks))
	}
	steps = map[string]string{}
	next := 0
	for _, l := range blocks[0] {
		if strings.HasPrefix(l, "#") {
			continue
		}
		ok := false
		for i, s := range technicianSteps {
			if regexp.MustCompile(s.re).MatchString(l) {
				if i < next {
					t.Errorf("README %q: %q comes after %q", technicianSection, l, technicianSteps[next-1].name)
				}
				steps[s.name], next, ok = l, i+1, true
				break
			}
		}
		if !ok {
			t.Errorf("README %q: command %q is unknown to TestBareDebian12: add a step to technicianSteps", technicianSection, l)
		}
	}
	for _, s := range technicianSteps {
		if steps[s.name] == "" {
			t.Errorf("README %q lost its %s command (%s)", technicianSection, s.name, s.re)
		}
	}
	onBox := false
	for _, l := range blocks[1] {
		switch {
		case strings.HasPrefix(l, "# on the box"):
			onBox = true
		case strings.HasPrefix(l, "#"):
		case onBox:
			offline = append(offline, l)
		default:
			fetch = append(fetch, l)
		}
	}
	if len(fetch) == 0 || len(offline) == 0 {
		t.Errorf("README %q: the offline recipe needs commands before and after its \"# on the box\" line:\n%s", technicianSection, strings.Join(blocks[1], "\n"))
	}
	if t.Failed() {
		t.FailNow()
	}
	return steps, fetch, offline
}

// forArch makes the README's arm64 file names this machine's.
func forArch(line, arch string) string {
	return strings.ReplaceAll(line, "_arm64.deb", "_"+arch+".deb")
}

// TestReadmeTechnicianSteps checks, always, that the README's technician
// path and offline recipe are the commands TestBareDebian12 runs.
func TestReadmeTechnicianSteps(t *testing.T) {
	steps, fetch, offline := technicianPath(t)
	t.Logf("steps %d, fetch %q, on the box %q", len(steps), fetch, offline)
	if !strings.Contains(strings.Join(fetch, "\n"), "apt-get download") || !strings.Contains(strings.Join(offline, "\n"), "apt install") {
		t.Errorf("the offline recipe lost its apt-get download or apt install:\nfetch %q\non the box %q", fetch, offline)
	}
}
