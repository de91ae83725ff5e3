package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes minimal plus the camera's extra keys (indented under
// cameras[0]) and extra top-level text into dir/pantau.yaml with mode.
func writeConfig(t *testing.T, dir, camKeys, extra string, mode os.FileMode) string {
	t.Helper()
	text := minimal
	for _, l := range strings.Split(strings.TrimSpace(camKeys), "\n") {
		if l != "" {
			text += "    " + l + "\n"
		}
	}
	text += extra
	p := filepath.Join(dir, "pantau.yaml")
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
	return p
}

func TestPasswordSources(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cam1.pw"), []byte("from-file\n"), 0o600)
	creds := t.TempDir()
	os.WriteFile(filepath.Join(creds, "cam1"), []byte("from-credential"), 0o600)
	t.Setenv("PANTAU_TEST_CAM_PW", "from-env")
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	for _, tc := range []struct {
		keys, want, err string
	}{
		{"username: admin\npassword_file: cam1.pw", "from-file", ""},
		{"username: admin\npassword_env: PANTAU_TEST_CAM_PW", "from-env", ""},
		{"username: admin\npassword_credential: cam1", "from-credential", ""},
		{"username: admin\npassword: inline\npassword_env: PANTAU_TEST_CAM_PW", "", "cameras[0].password: give only one of"},
		{"username: admin\npassword_env: PANTAU_TEST_UNSET_VARIABLE", "", "cameras[0].password_env: environment variable PANTAU_TEST_UNSET_VARIABLE is not set"},
		{"username: admin\npassword_file: missing.pw", "", "cameras[0].password_file: cannot read"},
		{"username: admin\npassword_credential: ../cam1", "", "is not a credential name"},
	} {
		p := writeConfig(t, dir, tc.keys, "", 0o640)
		c, err := Load(p)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.keys, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.keys, err)
		case tc.err == "" && c.Cameras[0].Password != tc.want:
			t.Errorf("%q: password %q, want %q", tc.keys, c.Cameras[0].Password, tc.want)
		case err != nil && strings.Contains(err.Error(), "from-"):
			t.Errorf("%q: the error holds a secret: %v", tc.keys, err)
		}
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	if _, err := Load(writeConfig(t, dir, "password_credential: cam1", "", 0o640)); err == nil || !strings.Contains(err.Error(), "$CREDENTIALS_DIRECTORY is not set") {
		t.Errorf("credential without systemd: %v", err)
	}
}

// TestDiscoveryPasswordSources: discovery logins take their passwords from
// the same sources as cameras, and a config that has them only that way
// holds no inline password (no world-readable warning).
func TestDiscoveryPasswordSources(t *testing.T) {
	dir := t.TempDir()
	creds := t.TempDir()
	os.WriteFile(filepath.Join(creds, "cam_nvr"), []byte("disc-from-credential\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "disc.pw"), []byte("disc-from-file\n"), 0o600)
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	t.Setenv("PANTAU_TEST_DISC_PW", "disc-from-env")
	p := writeConfig(t, dir, "", `discovery:
  credentials:
    - {match: 10.0.0.9, username: admin, password_credential: cam_nvr}
    - {match: AAA111, username: admin, password_file: disc.pw}
  default_credentials: {username: admin, password_env: PANTAU_TEST_DISC_PW}
`, 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Discovery
	if d.Credentials[0].Password != "disc-from-credential" || d.Credentials[1].Password != "disc-from-file" || d.DefaultCredentials.Password != "disc-from-env" {
		t.Fatalf("discovery passwords %q, %q, default %q", d.Credentials[0].Password, d.Credentials[1].Password, d.DefaultCredentials.Password)
	}
	if w := Warnings(c, p); len(w) != 0 {
		t.Fatalf("warnings for a 0644 config without inline passwords: %q", w)
	}
	y, err := c.YAML()
	if err != nil || strings.Contains(string(y), "disc-from-") {
		t.Fatalf("the printed config holds a discovery password (%v):\n%s", err, y)
	}
	t.Setenv("PANTAU_TEST_DISC_PW", "")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "discovery.default_credentials.password_env") {
		t.Fatalf("unset variable: %v, want the error naming discovery.default_credentials.password_env", err)
	}
}

func TestWarnings(t *testing.T) {
	dir := t.TempDir()
	inline := writeConfig(t, dir, "username: admin\npassword: hunter22", "", 0o644)
	c, err := Load(inline)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(Warnings(c, inline), "\n")
	if !strings.Contains(w, "cameras[0].password") || !strings.Contains(w, "readable by every user") || strings.Contains(w, "hunter22") {
		t.Fatalf("warnings for a 0644 config with a password: %q", w)
	}
	os.Chmod(inline, 0o640)
	if w := Warnings(c, inline); len(w) != 0 {
		t.Fatalf("warnings for a 0640 config: %q", w)
	}
	os.WriteFile(filepath.Join(dir, "pw"), []byte("x"), 0o600)
	p := writeConfig(t, dir, "username: admin\npassword_file: pw", "", 0o644)
	if c, err = Load(p); err != nil {
		t.Fatal(err)
	}
	if w := Warnings(c, p); len(w) != 0 {
		t.Fatalf("warnings for a 0644 config without passwords: %q", w)
	}
	c.MQTT.TLS.InsecureSkipVerify = true
	if w := strings.Join(Warnings(c, p), "\n"); !strings.Contains(w, "insecure_skip_verify") {
		t.Fatalf("no warning for insecure_skip_verify: %q", w)
	}
}
