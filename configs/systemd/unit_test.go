// Package systemd holds the agent's systemd unit; this test checks it with
// systemd-analyze verify (Debian package systemd).
package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyUnit runs systemd-analyze verify on the shipped unit. verify
// checks that ExecStart binaries exist, and /usr/local/bin/pantau is not
// installed on a test machine, so the test verifies a copy with the binary
// path pointing at an executable that exists (this test binary). Any
// output from verify (unknown keys, bad values) fails the test.
func TestVerifyUnit(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: run scripts/setup.sh (apt-get install systemd)")
	}
	unit, err := os.ReadFile("pantau.service")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/pantau", self)
	path := filepath.Join(t.TempDir(), "pantau.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	// The hardening the operations guide promises.
	if strings.Contains(string(unit), "DynamicUser=") {
		t.Error("the unit uses DynamicUser=: the config with passwords would have to be world-readable; use the static user pantau")
	}
	for _, want := range []string{"User=pantau\n", "Group=pantau\n", "LoadCredential=cam:/etc/pantau/credentials\n", "ProtectSystem=strict", "StateDirectory=pantau",
		"ReadWritePaths=/etc/pantau\n", // the web UI's Apply (agent/web TestApplyUnderPackagePermissions)
		"NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "ExecReload=/bin/kill -HUP $MAINPID",
		"ExecStartPre=/usr/local/bin/pantau check -c /etc/pantau/pantau.yaml"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
}

// TestVerifyCatchesMistakes makes sure verify's complaints reach the test:
// a unit with a misspelt key and a bad value must produce output.
func TestVerifyCatchesMistakes(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: run scripts/setup.sh (apt-get install systemd)")
	}
	self, _ := os.Executable()
	bad := "[Service]\nExecStart=" + self + "\nProtectSystem=strictt\nKilMode=mixed\n"
	path := filepath.Join(t.TempDir(), "bad.service")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(sa, "verify", path).CombinedOutput()
	if !strings.Contains(string(out), "KilMode") || !strings.Contains(string(out), "strictt") {
		t.Errorf("verify did not report the mistakes:\n%s", out)
	}
}
