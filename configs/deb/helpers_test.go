package deb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repo is the repository root, seen from this package's folder.
const repo = "../.."

// need fails the test when a tool is missing, naming the install step.
func need(t *testing.T, step string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run %s", tool, step)
		}
	}
}

// run runs a command in dir with extra environment and returns its
// stdout; a failure fails the test with stderr and how long it ran.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

func runErr(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("%w after %v\nstdout:\n%s\nstderr:\n%s", err,
			time.Since(start).Round(time.Millisecond), tail(stdout.String()), tail(stderr.String()))
	}
	return stdout.String(), nil
}

// tail keeps the end of a long output, where the error usually is.
func tail(s string) string {
	const max = 6000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

// buildDeb runs scripts/deb.sh and returns the path of the package it
// printed last.
func buildDeb(t *testing.T, arch string, env ...string) string {
	t.Helper()
	out := run(t, repo, env, "scripts/deb.sh", arch)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	deb := lines[len(lines)-1]
	if !strings.HasSuffix(deb, "_"+arch+".deb") {
		t.Fatalf("scripts/deb.sh printed %q, want the path of a _%s.deb", deb, arch)
	}
	return deb
}

// fields returns the control fields of a package.
func fields(t *testing.T, deb string) map[string]string {
	t.Helper()
	out := run(t, "", nil, "dpkg-deb", "-f", deb)
	f := map[string]string{}
	var last string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, " ") && last != "" {
			f[last] += "\n" + l
			continue
		}
		if k, v, ok := strings.Cut(l, ":"); ok {
			last = k
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

// depNames lists the package names of a Depends field, alternatives
// included.
func depNames(depends string) []string {
	var names []string
	for _, d := range strings.Split(depends, ",") {
		for _, alt := range strings.Split(d, "|") {
			if n := strings.Fields(alt); len(n) > 0 {
				names = append(names, strings.Split(n[0], ":")[0])
			}
		}
	}
	sort.Strings(names)
	return names
}

// buildChain matches packages that belong to building, not running
// (gcc-12-base, which libgcc-s1 needs at run time, is not one).
var buildChain = regexp.MustCompile(`(-dev$|^gcc(-\d+)?$|^g\+\+(-\d+)?$|^cpp(-\d+)?$|^binutils|^make$|^pkg-?config|^pkgconf|^golang|^libc-dev-bin$)`)

// crossings runs "pantau eval --json" (cmd and its arguments before the
// eval flags) and returns the line crossings, one line each:
// "time rule direction class".
func crossings(t *testing.T, env []string, cmd []string, clip, cfg, camera string) []string {
	t.Helper()
	args := append(cmd[1:], "eval", "--clip", clip, "-c", cfg, "--camera", camera, "--json")
	out := run(t, "", env, cmd[0], args...)
	var res struct {
		Events []struct {
			Time      float64 `json:"time_s"`
			Type      string  `json:"type"`
			Rule      string  `json:"rule"`
			Direction string  `json:"direction"`
			Class     string  `json:"class"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("pantau eval --json: %v\n%s", err, tail(out))
	}
	var cs []string
	for _, e := range res.Events {
		if e.Type == "line_cross" {
			cs = append(cs, fmt.Sprintf("%.2f %s %s %s", e.Time, e.Rule, e.Direction, e.Class))
		}
	}
	return cs
}

// crossingTimeTolerance is how far the same crossing's time may differ
// between architectures. A crossing is dated where the box's path met the
// line, interpolated between two analysed frames (0.2 s apart at 5 fps);
// Debian's OpenCV rounds the last bits of a box differently on NEON and on
// SSE/AVX, which moved one interpolated time by 0.01 s in the run of
// 2 December 2026 (66.50 s on arm64, 66.51 s on amd64; the 16 others equal).
// A quarter of a frame interval is far below what would make it another
// event (eval matches truth within ±1 s).
const crossingTimeTolerance = 0.05

// sameCrossings says how got differs from want: another count, or a
// crossing on another line, direction or class, or more than tol seconds
// away. Times only are compared with the tolerance.
func sameCrossings(got, want []string, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d crossings, want %d", len(got), len(want))
	}
	for i := range want {
		gt, grest, _ := strings.Cut(got[i], " ")
		wt, wrest, _ := strings.Cut(want[i], " ")
		g, err1 := strconv.ParseFloat(gt, 64)
		w, err2 := strconv.ParseFloat(wt, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("crossing %d: unreadable time in %q or %q", i, got[i], want[i])
		}
		if grest != wrest || math.Abs(g-w) > tol {
			return fmt.Errorf("crossing %d: %q, want %q (times within %.2f s)", i, got[i], want[i], tol)
		}
	}
	return nil
}

// evalInputs are the clip and config every eval comparison uses, and
// the camera in it.
func evalInputs(t *testing.T) (clip, cfg, camera string) {
	t.Helper()
	clip, _ = filepath.Abs(filepath.Join(repo, "testdata/clips/vtest_h264.mp4"))
	cfg, _ = filepath.Abs(filepath.Join(repo, "testdata/truth/vtest.yaml"))
	if _, err := os.Stat(clip); err != nil {
		t.Fatalf("%v: run scripts/setup.sh (makes the test clips)", err)
	}
	return clip, cfg, "vtest"
}
