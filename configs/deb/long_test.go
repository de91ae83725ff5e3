package deb

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// long fails nothing and returns false unless PANTAU_LONG_TESTS=1: these
// tests download from Debian's archive and compile for two architectures,
// tens of minutes on a first run.
func long(t *testing.T) bool {
	if os.Getenv("PANTAU_LONG_TESTS") != "1" {
		t.Log("long test: set PANTAU_LONG_TESTS=1 (TestPackage is the short version)")
		return false
	}
	return true
}

// TestArm64 cross-builds the arm64 package against the sysroot and runs
// its binary under qemu-user with the sysroot's libraries: version, check
// on every shipped config, and eval on vtest giving the crossings the
// amd64 build gives.
func TestArm64(t *testing.T) {
	if !long(t) {
		t.SkipNow()
	}
	run(t, repo, nil, "scripts/deb-setup.sh", "amd64", "arm64")
	need(t, "scripts/deb-setup.sh arm64", "qemu-aarch64-static", "aarch64-linux-gnu-gcc", "lintian")
	sysroot, _ := filepath.Abs(filepath.Join(repo, "build/sysroot-arm64"))
	tmp := t.TempDir()
	arm := buildDeb(t, "arm64", "DEB_OUT="+tmp)
	amd := buildDeb(t, "amd64", "DEB_OUT="+tmp)

	fa, fx := fields(t, arm), fields(t, amd)
	if fa["Architecture"] != "arm64" {
		t.Errorf("Architecture %q", fa["Architecture"])
	}
	checkDepends(t, fa["Depends"])
	if a, x := depNames(fa["Depends"]), depNames(fx["Depends"]); !reflect.DeepEqual(a, x) {
		t.Errorf("arm64 Depends %v differ from amd64 %v", a, x)
	}
	for _, deb := range []string{arm, amd} {
		out, err := runErr("", nil, "lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", deb)
		if err != nil || regexp.MustCompile(`(?m)^[EW]: `).MatchString(out) {
			t.Errorf("lintian %s: %v\n%s", filepath.Base(deb), err, out)
		}
	}

	ra, rx := filepath.Join(tmp, "arm64"), filepath.Join(tmp, "amd64")
	run(t, "", nil, "dpkg-deb", "-x", arm, ra)
	run(t, "", nil, "dpkg-deb", "-x", amd, rx)
	env := []string{"QEMU_LD_PREFIX=" + sysroot}
	qemu := []string{"qemu-aarch64-static", filepath.Join(ra, "usr/bin/pantau")}
	if v := run(t, "", env, qemu[0], qemu[1], "version"); !strings.Contains(v, "linux/arm64") {
		t.Errorf("arm64 pantau version: %q", v)
	}
	examples, _ := filepath.Glob(filepath.Join(ra, "usr/share/doc/pantau/examples/*.yaml"))
	configs := []string{filepath.Join(ra, "etc/pantau/pantau.yaml")}
	for _, c := range examples {
		// The agent's configs; hub.yaml is "pantau hub"'s, which has no
		// check command (hub/config's TestShippedConfig loads it).
		if filepath.Base(c) != "hub.yaml" {
			configs = append(configs, c)
		}
	}
	if len(configs) < 4 {
		t.Errorf("shipped agent configs: %v, want /etc/pantau/pantau.yaml and the examples demo, full, pantau", configs)
	}
	for _, c := range configs {
		if out := run(t, "", env, qemu[0], qemu[1], "check", "-c", c); !strings.HasPrefix(out, "ok:") {
			t.Errorf("arm64 pantau check %s: %q", c, out)
		}
	}
	clip, cfg, cam := evalInputs(t)
	want := crossings(t, nil, []string{filepath.Join(rx, "usr/bin/pantau")}, clip, cfg, cam)
	got := crossings(t, env, qemu, clip, cfg, cam)
	t.Logf("amd64: %d crossings, arm64 under qemu: %d", len(want), len(got))
	if err := sameCrossings(got, want, crossingTimeTolerance); len(want) == 0 || err != nil {
		t.Errorf("arm64 crossings differ from amd64 (%v):\narm64 %v\namd64 %v", err, got, want)
	}
}
