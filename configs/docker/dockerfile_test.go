// Package docker holds the agent's Dockerfile; this test checks it.
//
// No Docker daemon runs on the test machines, so the image is not built
// here. What is checked: the Dockerfile's structure (bookworm, multi-stage,
// non-root user, no -dev packages at run time, apt lists removed), and
// runtime-deps.sh run on the real pantau binary gives Debian packages that
// exist. hadolint is run when it is on PATH (it is not a Debian package).
package docker

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pantau/pantau/agent/httpauth"
)

type instr struct {
	line int
	cmd  string // upper case
	args string
}

// parse reads a Dockerfile into instructions, joining continuation lines.
func parse(t *testing.T, path string) []instr {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instr
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		cont := strings.HasSuffix(line, "\\")
		cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
		if cont {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instr{start, strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := parse(t, "Dockerfile")
	stages := map[string]bool{}
	var final []instr
	for _, in := range ins {
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			if !strings.Contains(f[0], "bookworm") {
				t.Errorf("line %d: FROM %s is not Debian bookworm", in.line, f[0])
			}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stages[f[2]] = true
			}
			final = nil
		}
		final = append(final, in)
		if in.cmd == "ADD" {
			t.Errorf("line %d: use COPY, not ADD", in.line)
		}
		if m := regexp.MustCompile(`--from=(\S+)`).FindStringSubmatch(in.args); in.cmd == "COPY" && m != nil && !stages[m[1]] {
			t.Errorf("line %d: COPY --from=%s names no stage", in.line, m[1])
		}
		if in.cmd == "RUN" && strings.Contains(in.args, "apt-get install") {
			if !strings.Contains(in.args, "--no-install-recommends") {
				t.Errorf("line %d: apt-get install without --no-install-recommends", in.line)
			}
			if !strings.Contains(in.args, "rm -rf /var/lib/apt/lists/*") {
				t.Errorf("line %d: apt lists not removed in the same layer", in.line)
			}
		}
	}
	if len(stages) == 0 {
		t.Error("not a multi-stage build")
	}
	user := ""
	for _, in := range final {
		switch in.cmd {
		case "ENV":
			// Off loopback needs credentials; the image must not default
			// to an open listener on every interface.
			if m := regexp.MustCompile(`PANTAU_HTTP_LISTEN=(\S+)`).FindStringSubmatch(in.args); m != nil &&
				!httpauth.IsLoopback(m[1]) && !strings.Contains(in.args, "PANTAU_HTTP_AUTH_") {
				t.Errorf("line %d: PANTAU_HTTP_LISTEN=%s is off loopback without credentials", in.line, m[1])
			}
		case "USER":
			user = in.args
		case "RUN":
			if regexp.MustCompile(`\S+-dev\b`).MatchString(in.args) {
				t.Errorf("line %d: runtime stage installs a -dev package: %s", in.line, in.args)
			}
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("runtime stage runs as %q, want a non-root user", user)
	}
	if hl, err := exec.LookPath("hadolint"); err == nil {
		out, err := exec.Command(hl, "Dockerfile").CombinedOutput()
		if err != nil {
			t.Errorf("hadolint: %v\n%s", err, out)
		}
	} else {
		t.Log("hadolint is not installed (no Debian package); structural checks only")
	}
}

// TestRuntimeDeps builds the real binary (stripped, as in the image, which
// also links faster) and checks that runtime-deps.sh
// maps every library it needs to a Debian package that exists and is not
// a -dev package.
func TestRuntimeDeps(t *testing.T) {
	for _, tool := range []string{"readelf", "ldd", "dpkg-query", "apt-cache"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run scripts/setup.sh (needs binutils, libc-bin, dpkg, apt)", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "pantau")
	build := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin, "../../cmd/pantau")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("./runtime-deps.sh", bin).Output()
	if err != nil {
		t.Fatalf("runtime-deps.sh: %v", err)
	}
	pkgs := strings.Fields(string(out))
	t.Logf("runtime packages: %s", strings.Join(pkgs, " "))
	if len(pkgs) == 0 {
		t.Fatal("runtime-deps.sh printed no packages")
	}
	has := map[string]bool{}
	for _, p := range pkgs {
		has[p] = true
		if strings.HasSuffix(p, "-dev") {
			t.Errorf("runtime package %s is a -dev package", p)
		}
		if err := exec.Command("apt-cache", "show", p).Run(); err != nil {
			t.Errorf("apt-cache show %s: %v (not a Debian package?)", p, err)
		}
	}
	if !has["libc6"] {
		t.Error("libc6 missing from the runtime packages")
	}
	// Once the binary links OpenCV and FFmpeg, their runtime packages must
	// be listed (they are what the image exists for).
	needed, _ := exec.Command("readelf", "-d", bin).Output()
	for lib, pkg := range map[string]string{"libopencv_core.so.406": "libopencv-core406", "libavcodec.so.59": "libavcodec59"} {
		if strings.Contains(string(needed), lib) && !has[pkg] {
			t.Errorf("binary needs %s but %s is not listed", lib, pkg)
		}
	}
	bad := exec.Command("./runtime-deps.sh", filepath.Join(t.TempDir(), "missing"))
	if err := bad.Run(); err == nil {
		t.Error("runtime-deps.sh on a missing file succeeded")
	}
}
