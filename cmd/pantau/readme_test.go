package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

// Test values for the README's placeholders (see TestReadmeTechnicianPath).
const (
	readmePassword = "cam-s3cret"
	readmeSite     = "readme-site"
	readmeClip     = "../../testdata/clips/vtest_h264.mp4"
)

// TestReadmeTechnicianPath runs the commands of the README's "A developer's
// path: build from source" (the technician's steps with a binary built
// from the checkout; the path from the Debian package is run in a bare
// Debian 12 root by configs/deb's TestBareDebian12), in order, as a technician pastes them, against two
// simulated cameras (agent/camsim RTSP with onvifsim ONVIF and WS-Discovery
// in front, both needing user admin and a password) and a real mosquitto,
// inside a network namespace of its own: loopback is multicast-capable
// there, so the multicast probes of "pantau discover" reach the simulators
// and no packet leaves the test.
//
// What the test changes, and why:
//   - Its work directory stands for the checkout: bin/pantau is this
//     package built by the test (the make build line is skipped) and
//     configs/ links to the repository's.
//   - The technician's own values: CAMERA-PASSWORD becomes the simulated
//     cameras' password (their user is admin, as in the README);
//     SITE-NAME becomes readme-site; BROKER-HOST becomes 127.0.0.1, where
//     the test's mosquitto listens on the standard port 1883 (free: the
//     namespace is new).
//   - Each line runs in a fresh sh in the work directory; the section's
//     earlier export lines are replayed first, as in the technician's one
//     shell. PANTAU_SPOOL_DIR points into the work directory (a foreground
//     run as root would otherwise keep its spool in the test machine's
//     /var/lib/pantau); other PANTAU_* variables of the test are removed.
//   - The long-running pantau run and mosquitto_sub start in the
//     background; once mosquitto_sub has shown both cameras online with
//     motion events and the agent ran for 10 s, the test presses Ctrl-C
//     (SIGINT) on the agent, which must exit 0 after publishing each
//     camera's partial counts and its offline status.
//   - The install lines write under a directory of the test instead of /
//     (" /usr/local/bin/" and " /etc/" get that prefix; a line still naming
//     an absolute path fails the test). The test then runs what the unit's
//     ExecStartPre runs: the installed binary checks the installed config
//     with the installed environment file.
//   - systemctl and journalctl are skipped (readmeSteps says why).
func TestReadmeTechnicianPath(t *testing.T) {
	if !onvifsim.InNetns() {
		readmeCommands(t) // an unknown command fails before the slow part
		if _, err := os.Stat(readmeClip); err != nil {
			t.Fatalf("%v: run scripts/testdata.sh (make testdata) first", err)
		}
		t.Setenv(readmeBinEnv, buildPantau(t))
		onvifsim.ReexecInNetns(t, "TestReadmeTechnicianPath")
		return
	}
	cmds := readmeCommands(t)
	r := newReadmeRun(t)
	subst := strings.NewReplacer("CAMERA-PASSWORD", readmePassword, "SITE-NAME", readmeSite, "BROKER-HOST", "127.0.0.1")
	installed := false
	for _, c := range cmds {
		if c.step.skip != "" {
			t.Logf("skipped: %s\n    (%s)", c.line, c.step.skip)
			continue
		}
		line := subst.Replace(c.line)
		switch c.step.name {
		case "export":
			t.Logf("$ %s", line)
			r.exports = append(r.exports, line)
		case "discover":
			r.checkDiscoverTable(r.runOK(line))
		case "write-config":
			out := r.runOK(line)
			if !strings.Contains(out, "wrote 2 camera(s) to cameras.yaml") {
				t.Errorf("write-config output lacks %q:\n%s", "wrote 2 camera(s) to cameras.yaml", out)
			}
			r.checkWrittenConfig()
		case "check":
			out := r.runOK(line)
			want := "ok: 2 cameras (2 enabled), site " + readmeSite + ", agent "
			if !strings.HasPrefix(out, want) || !strings.Contains(out, "mqtt tcp://127.0.0.1:1883") {
				t.Errorf("check prints %q, want %q… mqtt tcp://127.0.0.1:1883", out, want)
			}
		case "run":
			t.Logf("$ %s &", line)
			r.agent = r.start(line)
		case "subscribe":
			if r.agent == nil {
				t.Fatalf("%q comes before pantau run in the README: nothing to see yet", line)
			}
			t.Logf("$ %s &", line)
			r.watch(r.start(line))
		case "install":
			r.runOK(r.underRoot(line))
			installed = true
		default:
			t.Fatalf("step %s has no handler in %s", c.step.name, t.Name())
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	if installed {
		r.checkInstalled()
	}
}

// The README section whose commands TestReadmeTechnicianPath runs: every
// line of its ```sh blocks is a command.
const readmeSection = "## A developer's path: build from source"

// readmeStep says what the test does with README command lines matching re.
type readmeStep struct {
	name string
	re   *regexp.Regexp
	// skip, when set, is why the test cannot run the command.
	skip string
	// required steps must appear in the section: a README that loses one
	// fails the test.
	required bool
}

// readmeSteps is every command the section may contain. A command that
// matches none fails the test: a new README command needs a step here.
var readmeSteps = []readmeStep{
	{name: "build", re: regexp.MustCompile(`^make build$`),
		skip: "make build runs go build -o bin/pantau ./cmd/pantau; the test builds the same package itself into its work directory"},
	{name: "discover", re: regexp.MustCompile(`^bin/pantau discover --user admin --password '[^']*'$`), required: true},
	{name: "write-config", re: regexp.MustCompile(`^bin/pantau discover --user admin --password '[^']*' --write-config cameras\.yaml$`), required: true},
	{name: "export", re: regexp.MustCompile(`^export [A-Z_]+=`), required: true},
	{name: "check", re: regexp.MustCompile(`^bin/pantau check -c cameras\.yaml$`), required: true},
	{name: "run", re: regexp.MustCompile(`^bin/pantau run -c cameras\.yaml$`), required: true},
	{name: "subscribe", re: regexp.MustCompile(`^mosquitto_sub -h \S+ -t 'pantau/v1/#' -v$`), required: true},
	{name: "useradd", re: regexp.MustCompile(`^useradd --system .* pantau$`),
		skip: "would add a system user to the test machine; the install lines' -o/-g pantau run as the test's own user (underRoot), modes are checked"},
	{name: "install", re: regexp.MustCompile(`^(install|printf) .* /(usr/local/bin|etc)/\S*$`), required: true},
	{name: "systemctl", re: regexp.MustCompile(`^systemctl `),
		skip: "would start a service on the test machine; the unit passes systemd-analyze verify in configs/systemd (TestVerifyUnit), and the test runs the unit's ExecStartPre check on the installed files"},
	{name: "journal", re: regexp.MustCompile(`^journalctl -u pantau`),
		skip: "reads the journal of the service the test does not start"},
}

// readmeCommand is one command line of the section.
type readmeCommand struct {
	line string // as written, comment removed
	step readmeStep
}

// readmeCommands extracts the section's commands and matches each to a
// step; it fails on an unknown command or a missing required step.
func readmeCommands(t *testing.T) []readmeCommand {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+readmeSection+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q section", readmeSection)
	}
	text = text[i+1:]
	if j := strings.Index(text, "\n## "); j >= 0 {
		text = text[:j]
	}
	var cmds []readmeCommand
	inSh := false
	for _, raw := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(raw, "```sh"):
			inSh = true
			continue
		case strings.HasPrefix(raw, "```"):
			inSh = false
			continue
		case !inSh:
			continue
		}
		line := stripShellComment(raw)
		if line == "" {
			continue
		}
		c := readmeCommand{line: line}
		found := false
		for _, s := range readmeSteps {
			if s.re.MatchString(line) {
				c.step, found = s, true
				break
			}
		}
		if !found {
			t.Errorf("README %q: command %q is not known to %s: add a step to readmeSteps that runs it (or skips it, saying why)", readmeSection, line, t.Name())
			continue
		}
		cmds = append(cmds, c)
	}
	for _, s := range readmeSteps {
		n := 0
		for _, c := range cmds {
			if c.step.name == s.name {
				n++
			}
		}
		if s.required && n == 0 {
			t.Errorf("README %q lost its %s command (%s)", readmeSection, s.name, s.re)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return cmds
}

// stripShellComment removes a trailing "# ..." that is outside quotes and
// starts a word, as sh does.
func stripShellComment(line string) string {
	var quote rune
	prev := ' '
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t'):
			return strings.TrimSpace(line[:i])
		}
		prev = r
	}
	return strings.TrimSpace(line)
}

func TestStripShellComment(t *testing.T) {
	for in, want := range map[string]string{
		"make build   # one binary":                        "make build",
		"mosquitto_sub -t 'pantau/v1/#' -v  # see it":      "mosquitto_sub -t 'pantau/v1/#' -v",
		`printf 'a#b\n' "$X#" > f`:                         `printf 'a#b\n' "$X#" > f`,
		"  # only a comment":                               "",
		"echo a#b":                                         "echo a#b",
		"bin/pantau run -c cameras.yaml\t# foreground run": "bin/pantau run -c cameras.yaml",
	} {
		if got := stripShellComment(in); got != want {
			t.Errorf("stripShellComment(%q) = %q, want %q", in, got, want)
		}
	}
}

// buildPantau builds this package into a bin/pantau, as make build does
// into the checkout's bin/, once per test run: the tests that run the
// binary share it (TestMain removes it).
func buildPantau(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			built.err = errors.New("go not found on PATH: install Go 1.26 (see README)")
			return
		}
		dir, err := os.MkdirTemp("", "pantau-test-bin")
		if err != nil {
			built.err = err
			return
		}
		built.dir, built.bin = dir, filepath.Join(dir, "bin", "pantau")
		start := time.Now()
		if out, err := exec.Command(goBin, "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		t.Logf("built %s in %s", built.bin, time.Since(start).Round(time.Millisecond))
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// built is the binary buildPantau made.
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

// readmeBinEnv passes the binary built outside the namespace to the test
// process inside it.
const readmeBinEnv = "PANTAU_README_TEST_BIN"

// readmeOutput collects a child process's output while the test reads it.
type readmeOutput struct{ testbroker.LogBuffer }

// lines returns the complete lines written so far.
func (o *readmeOutput) lines() []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(o.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// waitFor polls cond every 100 ms until it returns "" (done) or timeout
// passes; then it fails with cond's last answer.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() string, dump func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		missing := cond()
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after %s still %s\n%s", what, timeout, missing, dump())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
