package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/pantau/pantau/agent/live"
)

// The packaged agent runs as user pantau under configs/systemd/pantau.service
// (ProtectSystem=strict) with the owners and modes configs/deb/postinst
// gives /etc/pantau and the config. TestApplyUnderPackagePermissions runs
// the UI's Apply as an unprivileged user, in a mount namespace made the way
// that unit's sandbox is (the whole tree read-only, the unit's
// ReadWritePaths= writable), on files owned and moded as postinst says.
// systemd is not PID 1 on a build machine, so the test makes that
// namespace itself with unshare and mount; the kernel's permission and
// read-only checks are the real ones. Uid/gid 65534 stand for pantau.

const applyChildEnv = "PANTAU_TEST_APPLY_CONFIG"

func TestMain(m *testing.M) {
	if path := os.Getenv(applyChildEnv); path != "" {
		os.Exit(applyChild(path))
	}
	os.Exit(m.Run())
}

// applyChild is the agent's side: it edits the config through UI.apply
// and then tries what the service user must not do. It prints one line
// per failure and returns 1 if there was any.
func applyChild(path string) int {
	u := &UI{b: fileBackend{path: path}}
	d, err := readDoc(path)
	if err != nil {
		fmt.Println("read:", err)
		return 1
	}
	root := d.root.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "site" {
			root.Content[i+1].Value = "edited-by-the-ui"
		}
	}
	if _, errs, err := u.apply(context.Background(), d); err != nil || len(errs) > 0 {
		fmt.Println("apply:", err, errs)
		return 1
	}
	failed := 0
	dir := filepath.Dir(path)
	if err := os.Remove(filepath.Join(dir, "pantau.env")); err == nil {
		fmt.Println("the service user deleted root's pantau.env")
		failed = 1
	}
	if err := os.Rename(filepath.Join(dir, "credentials"), filepath.Join(dir, "creds-moved")); err == nil {
		fmt.Println("the service user moved root's credentials directory")
		failed = 1
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "elsewhere"), nil, 0o600); err == nil {
		fmt.Println("the service user wrote outside ReadWritePaths=")
		failed = 1
	}
	return failed
}

// fileBackend stands in for the agent: the test is about replacing the
// file, so its check accepts and its reload does nothing (agent's
// TestWebAPI covers both for real).
type fileBackend struct{ path string }

func (f fileBackend) Cameras() []Camera                         { return nil }
func (f fileBackend) Live() *live.Hub                           { return nil }
func (f fileBackend) ConfigPath() string                        { return f.path }
func (f fileBackend) Check(string) []error                      { return nil }
func (f fileBackend) Reload(context.Context) error              { return nil }
func (f fileBackend) Discover(context.Context) ([]Found, error) { return nil, nil }

// unitSandbox reads the shipped unit: the config path (ExecStart's -c)
// and the writable paths under ProtectSystem=strict.
func unitSandbox(t *testing.T) (config string, writable []string) {
	t.Helper()
	b, err := os.ReadFile("../../configs/systemd/pantau.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	if !strings.Contains(unit, "\nProtectSystem=strict\n") {
		t.Fatal("the unit no longer has ProtectSystem=strict: this test models that sandbox")
	}
	m := regexp.MustCompile(`(?m)^ExecStart=\S+ run -c (\S+)$`).FindStringSubmatch(unit)
	if m == nil {
		t.Fatal("no `ExecStart=… run -c PATH` in the unit")
	}
	for _, l := range regexp.MustCompile(`(?m)^ReadWritePaths=(.*)$`).FindAllStringSubmatch(unit, -1) {
		writable = append(writable, strings.Fields(l[1])...)
	}
	return m[1], writable
}

// perm is one owner/group/mode the package sets on a path.
type perm struct {
	owner, group string
	mode         os.FileMode
}

// packagePerms reads the dpkg-statoverride specs of configs/deb/postinst
// ('OWNER GROUP MODE PATH').
func packagePerms(t *testing.T) map[string]perm {
	t.Helper()
	f, err := os.Open("../../configs/deb/postinst")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]perm{}
	re := regexp.MustCompile(`'(\S+) (\S+) ([0-7]{3,4}) (/\S+)'`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, m := range re.FindAllStringSubmatch(sc.Text(), -1) {
			mode, _ := strconv.ParseUint(m[3], 8, 32)
			fm := os.FileMode(mode & 0o777)
			if mode&0o1000 != 0 {
				fm |= os.ModeSticky
			}
			out[m[4]] = perm{m[1], m[2], fm}
		}
	}
	return out
}

const pantauID = 65534 // stands for the package's pantau user and group

func uidOf(name string) int {
	if name == "root" {
		return 0
	}
	return pantauID
}

// runApply lays out root/etc/pantau as perms say and runs applyChild as
// the service user in a namespace where only writable is writable. It
// returns the child's output and error, and the tree's root.
func runApply(t *testing.T, config string, writable []string, perms map[string]perm) (out, root string, err error) {
	t.Helper()
	for _, tool := range []string{"unshare", "mount", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run scripts/setup.sh (apt-get install util-linux mount)", tool)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (it makes a mount namespace and runs the agent's side as another user): run make test as root")
	}
	root, err = os.MkdirTemp("", "pantau-apply-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(root, 0o755))
	// The test binary, where the service user may run it.
	self, err := os.Executable()
	must(err)
	bin := filepath.Join(root, "web.test")
	copyFile(t, self, bin, 0o755)

	dir := filepath.Dir(config)
	must(os.MkdirAll(filepath.Join(root, dir), 0o755))
	set := func(path string, p perm) {
		must(os.Chown(filepath.Join(root, path), uidOf(p.owner), uidOf(p.group)))
		must(os.Chmod(filepath.Join(root, path), p.mode))
	}
	dp, ok := perms[dir]
	if !ok {
		t.Fatalf("configs/deb/postinst sets no owner and mode for %s", dir)
	}
	fp, ok := perms[config]
	if !ok {
		t.Fatalf("configs/deb/postinst sets no owner and mode for %s", config)
	}
	if fp.mode&0o004 != 0 {
		t.Fatalf("the package makes %s readable by every user (%v): it may hold passwords", config, fp.mode)
	}
	const original = "# the technician's comment\nsite: depot\n"
	must(os.WriteFile(filepath.Join(root, config), []byte(original), 0o600))
	set(config, fp)
	must(os.WriteFile(filepath.Join(root, dir, "pantau.env"), []byte("PANTAU_MQTT_PASSWORD=x\n"), 0o600))
	must(os.Mkdir(filepath.Join(root, dir, "credentials"), 0o700))
	set(dir, dp)

	script := fmt.Sprintf("set -e; mount --make-rprivate /; mount --bind %[1]s %[1]s; mount -o remount,bind,ro %[1]s", root)
	for _, w := range writable {
		if w = strings.TrimLeft(w, "-"); strings.HasPrefix(dir, w) || strings.HasPrefix(w, dir) {
			p := filepath.Join(root, w)
			script += fmt.Sprintf("; mount --bind %[1]s %[1]s; mount -o remount,bind,rw %[1]s", p)
		}
	}
	script += fmt.Sprintf("; exec setpriv --reuid=%d --regid=%d --clear-groups %s", pantauID, pantauID, bin)
	cmd := exec.Command("unshare", "--mount", "sh", "-c", script)
	cmd.Env = append(os.Environ(), applyChildEnv+"="+filepath.Join(root, config))
	b, err := cmd.CombinedOutput()
	return string(b), root, err
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestApplyUnderPackagePermissions: with the shipped unit and the package's
// owners and modes, Apply replaces the config (comment kept, backup made,
// mode kept, not readable by others); the service user still cannot touch
// root's pantau.env or credentials, nor write outside ReadWritePaths=.
// Two controls show the test can fail: without the unit's ReadWritePaths=
// the same Apply meets a read-only file system, and with the package's
// earlier modes (/etc/pantau root:pantau 0750, config root:pantau 0640) it
// is refused.
func TestApplyUnderPackagePermissions(t *testing.T) {
	config, writable := unitSandbox(t)
	perms := packagePerms(t)

	out, root, err := runApply(t, config, writable, perms)
	if err != nil {
		t.Fatalf("Apply as the service user under the shipped unit and package modes: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(filepath.Join(root, config))
	if !strings.Contains(string(got), "site: edited-by-the-ui") || !strings.Contains(string(got), "# the technician's comment") {
		t.Fatalf("config after Apply:\n%s", got)
	}
	for _, p := range []string{config, config + ".bak"} {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(root, p), &st); err != nil {
			t.Fatal(err)
		}
		if mode := os.FileMode(st.Mode & 0o777); mode&0o007 != 0 || mode != perms[config].mode {
			t.Errorf("%s has mode %v after Apply, want the package's %v (nothing for others)", p, mode, perms[config].mode)
		}
		if int(st.Uid) != uidOf(perms[config].owner) {
			t.Errorf("%s owned by uid %d after Apply, want the package's owner %s", p, st.Uid, perms[config].owner)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, config+".bak")); !strings.Contains(string(b), "site: depot") {
		t.Errorf("backup after Apply:\n%s", b)
	}

	t.Run("without ReadWritePaths", func(t *testing.T) {
		out, _, err := runApply(t, config, nil, perms)
		if err == nil || !strings.Contains(out, "read-only file system") {
			t.Fatalf("Apply on a read-only /etc: %v\n%s\nwant a read-only file system error", err, out)
		}
		if !strings.Contains(out, "ReadWritePaths=") {
			t.Errorf("the error does not say how to fix it:\n%s", out)
		}
	})
	t.Run("earlier package modes", func(t *testing.T) {
		old := map[string]perm{}
		for k, v := range perms {
			old[k] = v
		}
		old[filepath.Dir(config)] = perm{"root", "pantau", 0o750}
		old[config] = perm{"root", "pantau", 0o640}
		out, _, err := runApply(t, config, writable, old)
		if err == nil || !strings.Contains(out, "permission denied") {
			t.Fatalf("Apply with /etc/pantau root:pantau 0750: %v\n%s\nwant permission denied", err, out)
		}
	})
}
