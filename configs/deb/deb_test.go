// Package deb holds the Debian package's control template, copyright and
// maintainer scripts; scripts/deb.sh builds the package from them. The
// tests build a package and check it: always a quick one for this
// machine's architecture, and with PANTAU_LONG_TESTS=1 the arm64 one under
// qemu-user and an install into a bare Debian 12 root (long_test.go).
package deb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPackage builds this machine's package from a binary built with the
// default flags (cached by the other tests; the release build of make deb
// differs only in -trimpath, PIE and hardening flags, and recompiling every
// cgo package for them takes minutes) and checks what a site gets.
func TestPackage(t *testing.T) {
	need(t, "scripts/setup.sh (apt-get install dpkg-dev lintian jq)", "dpkg-deb", "dpkg-shlibdeps", "lintian", "jq", "go")
	arch := strings.TrimSpace(run(t, "", nil, "dpkg", "--print-architecture"))
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "pantau")
	// Stripped, as the release build is; link flags change no compile cache.
	run(t, repo, nil, "go", "build", "-ldflags", "-s -w", "-o", bin, "./cmd/pantau")
	deb := buildDeb(t, arch, "DEB_BIN="+bin, "DEB_OUT="+tmp, "DEB_COMPRESS=gzip", "DEB_COMPRESS_LEVEL=1")

	f := fields(t, deb)
	for k, want := range map[string]string{"Package": "pantau", "Architecture": arch, "Section": "video", "Priority": "optional"} {
		if f[k] != want {
			t.Errorf("%s: %q, want %q", k, f[k], want)
		}
	}
	if !regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`).MatchString(f["Version"]) {
		t.Errorf("Version %q is not a Debian version", f["Version"])
	}
	if !strings.Contains(deb, "pantau_"+f["Version"]+"_"+arch+".deb") {
		t.Errorf("file %s is not named pantau_<version>_<arch>.deb for version %s", deb, f["Version"])
	}
	checkDepends(t, f["Depends"])

	ctrl := filepath.Join(tmp, "control")
	run(t, "", nil, "dpkg-deb", "-e", deb, ctrl)
	root := filepath.Join(tmp, "root")
	run(t, "", nil, "dpkg-deb", "-x", deb, root)

	// Every file under /etc is a conffile, so an upgrade keeps the site's
	// edits.
	conffiles, _ := os.ReadFile(filepath.Join(ctrl, "conffiles"))
	var etc []string
	_ = filepath.Walk(filepath.Join(root, "etc"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			etc = append(etc, strings.TrimPrefix(p, root))
		}
		return nil
	})
	if got, want := strings.TrimSpace(string(conffiles)), strings.Join(etc, "\n"); got != want || want != "/etc/pantau/pantau.yaml" {
		t.Errorf("conffiles %q, files under /etc %q; want both /etc/pantau/pantau.yaml", got, want)
	}

	for _, s := range []string{"postinst", "prerm", "postrm"} {
		p := filepath.Join(ctrl, s)
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v (want mode 0755)", s, err)
			continue
		}
		if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", s, err, out)
		}
	}

	for _, p := range []string{
		"usr/bin/pantau", "lib/systemd/system/pantau.service", "etc/pantau/pantau.yaml",
		"usr/share/pantau/models/manifest.json", "usr/share/man/man1/pantau.1.gz",
		"usr/share/doc/pantau/copyright", "usr/share/doc/pantau/changelog.gz",
		"usr/share/doc/pantau/README.md.gz", "usr/share/doc/pantau/examples/full.yaml",
		"usr/share/doc/pantau/examples/mosquitto/site.conf", "usr/share/doc/pantau/examples/mosquitto/bridge.conf.in",
	} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("package lacks /%s", p)
		}
	}
	// The service is not enabled by the package itself: no .wants links.
	if m, _ := filepath.Glob(filepath.Join(root, "etc/systemd/system/*.wants/*")); len(m) > 0 {
		t.Errorf("package ships enablement links %v; the service must stay disabled until configured", m)
	}
	unit, _ := os.ReadFile(filepath.Join(root, "lib/systemd/system/pantau.service"))
	if !strings.Contains(string(unit), "\nExecStart=/usr/bin/pantau run -c /etc/pantau/pantau.yaml") || strings.Contains(string(unit), "/usr/local/") {
		t.Errorf("packaged unit does not run /usr/bin/pantau (or still names /usr/local):\n%s", unit)
	}
	checkModels(t, filepath.Join(root, "usr/share/pantau/models"))

	// lintian: no error and no warning. The one tag tolerated here is
	// hardening-no-pie, because this test packages a non-PIE binary (see
	// above); the long test lints the release build with nothing
	// suppressed.
	out, err := runErr("", nil, "lintian", "--fail-on", "error,warning", "--tag-display-limit", "0",
		"--suppress-tags", "hardening-no-pie", deb)
	if err != nil || regexp.MustCompile(`(?m)^[EW]: `).MatchString(out) {
		t.Errorf("lintian: %v\n%s", err, out)
	}
}

// checkDepends: the runtime libraries, versioned, and nothing for building.
func checkDepends(t *testing.T, depends string) {
	t.Helper()
	names := depNames(depends)
	if len(names) < 3 {
		t.Fatalf("Depends %q: want the runtime libraries", depends)
	}
	for _, want := range []string{`^libc6$`, `^libopencv-core\d+$`, `^libavcodec\d+$`, `^libxnnpack0$`, `^adduser$`} {
		found := false
		for _, n := range names {
			found = found || regexp.MustCompile(want).MatchString(n)
		}
		if !found {
			t.Errorf("Depends %q lacks %s", depends, want)
		}
	}
	for _, n := range names {
		if buildChain.MatchString(n) {
			t.Errorf("Depends names %s, a package for building", n)
		}
	}
	if !strings.Contains(depends, "libc6 (>= ") {
		t.Errorf("Depends %q: libc6 without a minimum version (not from dpkg-shlibdeps?)", depends)
	}
}

// checkModels: every manifest entry with a checksum whose file the
// repository has is in the package, unchanged.
func checkModels(t *testing.T, dir string) {
	t.Helper()
	var m struct {
		Models []struct {
			Name, File, SHA256 string
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	packaged := 0
	for _, e := range m.Models {
		if _, err := os.Stat(filepath.Join(repo, "models", e.File)); err != nil || e.SHA256 == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.File))
		if err != nil {
			t.Errorf("model %s: %v", e.Name, err)
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != e.SHA256 {
			t.Errorf("model %s: packaged file does not match its sha256", e.Name)
		}
		packaged++
	}
	if packaged == 0 {
		t.Errorf("no model packaged from %s", dir)
	}
}

// TestModelsRefused: a listed default model that is missing, and a model
// whose file does not match its checksum, stop the build with a message.
func TestModelsRefused(t *testing.T) {
	need(t, "scripts/setup.sh (apt-get install jq)", "jq")
	src := t.TempDir()
	manifest := `{"schema":1,"models":[{"name":"dflt","file":"dflt.onnx","format":"ssd","input":[1,1],"classes":["a"],"sha256":"` +
		strings.Repeat("0", 64) + `","licence":"x","source":"x"}]}`
	if err := os.WriteFile(filepath.Join(src, "manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join(repo, "scripts/deb-models.sh"))
	_, err := runErr("", nil, script, src, t.TempDir(), "dflt")
	if err == nil || !strings.Contains(err.Error(), "the default model dflt") {
		t.Errorf("missing default model: %v, want an error naming it", err)
	}
	if err := os.WriteFile(filepath.Join(src, "dflt.onnx"), []byte("not the model"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runErr("", nil, script, src, t.TempDir(), "dflt")
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("model with a wrong checksum: %v, want a sha256 error", err)
	}
}
