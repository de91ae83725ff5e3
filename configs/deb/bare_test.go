package deb

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chroot runs a shell command inside a Debian root with a clean
// environment, as a technician's root shell there would.
type chroot struct {
	t    *testing.T
	root string
}

func (c chroot) sh(script string) string {
	c.t.Helper()
	return run(c.t, "", nil, "chroot", c.root, "/usr/bin/env", "-i",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8", "HOME=/root",
		"/bin/sh", "-ec", script)
}

func (c chroot) read(p string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.root, p))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

func (c chroot) write(p, s string) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(c.root, p)), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.root, p), []byte(s), 0o755); err != nil {
		c.t.Fatal(err)
	}
}

// fakeManager stands in for systemd as PID 1, which cannot run in a
// chroot: a systemctl earlier on PATH that logs every call, answers
// is-active from /run/fake-state and passes is-enabled, enable and disable
// to the real systemctl (which works offline on the unit files). The
// postinst believes systemd runs because /run/systemd/system exists.
const fakeManager = `#!/bin/sh
echo "$*" >>/run/systemctl.log
case " $* " in
*" is-active "*) [ "$(cat /run/fake-state)" = active ]; exit $? ;;
*" is-enabled "* | *" enable "* | *" disable "*) exec /usr/bin/systemctl "$@" ;;
esac
exit 0
`

// TestBareDebian12 installs the package into a fresh minimal Debian 12
// root made by mmdebstrap, with nothing else: apt must bring every runtime
// library from Debian's archive (the proof that Depends is complete), and
// pantau check and eval must work there. Then the upgrade path: config
// edits and the spool survive, the unit's enablement is kept, and a
// running agent is restarted while a stopped one is not.
func TestBareDebian12(t *testing.T) {
	if !long(t) {
		t.SkipNow()
	}
	need(t, "scripts/deb-setup.sh", "mmdebstrap", "chroot", "mount", "umount", "dpkg-deb")
	arch := strings.TrimSpace(run(t, "", nil, "dpkg", "--print-architecture"))
	tmp := t.TempDir()
	debs := map[string]string{}
	debs["1.0.0"] = buildDeb(t, arch, "DEB_OUT="+filepath.Join(tmp, "v1"), "DEB_VERSION=1.0.0")
	x := filepath.Join(tmp, "x")
	run(t, "", nil, "dpkg-deb", "-x", debs["1.0.0"], x)
	bin := filepath.Join(x, "usr/bin/pantau")
	for _, v := range []string{"1.0.1", "1.0.2", "1.0.3"} {
		debs[v] = buildDeb(t, arch, "DEB_OUT="+filepath.Join(tmp, v), "DEB_VERSION="+v, "DEB_BIN="+bin, "DEB_COMPRESS=gzip", "DEB_COMPRESS_LEVEL=1")
	}

	root := filepath.Join(tmp, "root")
	start := time.Now()
	run(t, "", nil, "mmdebstrap", "--quiet", "--mode=root", "--variant=minbase", "bookworm", root)
	t.Logf("figure: mmdebstrap --variant=minbase bookworm: %v", time.Since(start).Round(time.Second))
	for _, m := range [][]string{{"-t", "proc", "proc", "proc"}, {"--bind", "/dev", "dev"}, {"-t", "sysfs", "sys", "sys"}} {
		target := filepath.Join(root, m[len(m)-1])
		run(t, "", nil, "mount", append(m[:len(m)-1], target)...)
		t.Cleanup(func() { _, _ = runErr("", nil, "umount", "-l", target) })
	}
	resolv, _ := os.ReadFile("/etc/resolv.conf")
	c := chroot{t, root}
	c.write("etc/resolv.conf", string(resolv))
	for v, deb := range debs {
		b, err := os.ReadFile(deb)
		if err != nil {
			t.Fatal(err)
		}
		c.write("tmp/pantau_"+v+".deb", string(b))
	}
	clip, cfg, cam := evalInputs(t)
	for src, dst := range map[string]string{clip: "tmp/vtest.mp4", cfg: "tmp/vtest.yaml"} {
		b, _ := os.ReadFile(src)
		c.write(dst, string(b))
	}

	// The proof: a technician's apt install of the package, on nothing.
	c.sh("apt-get update -qq")
	before := c.sh("dpkg-query -W -f '${Package}\\n' | sort")
	start = time.Now()
	out := c.sh("apt-get install -y /tmp/pantau_1.0.0.deb")
	took := time.Since(start)
	fi, _ := os.Stat(debs["1.0.0"])
	t.Logf("figure: package %d bytes, Installed-Size %s KiB; apt install on bare Debian 12: %v; %s; %s; %s",
		fi.Size(), fields(t, debs["1.0.0"])["Installed-Size"], took.Round(time.Second),
		grep(out, `(?m)^\d+ upgraded, \d+ newly installed.*$`), grep(out, `(?m)^Need to get .*$`), grep(out, `(?m)^After this operation.*$`))
	after := c.sh("dpkg-query -W -f '${Package}\\n' | sort")
	added := diffLines(before, after)
	for _, p := range added {
		if buildChain.MatchString(p) {
			t.Errorf("apt install brought %s, a package for building", p)
		}
	}
	if v := c.sh("pantau version"); !strings.HasPrefix(v, "pantau 1.0.0 ") {
		t.Errorf("pantau version: %q", v)
	}
	if out := c.sh("pantau check -c /etc/pantau/pantau.yaml"); !strings.HasPrefix(out, "ok:") {
		t.Errorf("pantau check: %q", out)
	}
	want := crossings(t, nil, []string{bin}, clip, cfg, cam)
	got := crossings(t, nil, []string{"chroot", root, "/usr/bin/pantau"}, "/tmp/vtest.mp4", "/tmp/vtest.yaml", cam)
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("eval in the bare root gives %v, on the build machine %v", got, want)
	}
	if st := c.sh("stat -c '%U:%G %a' /etc/pantau /etc/pantau/pantau.yaml /var/lib/pantau"); st != "root:pantau 1770\npantau:pantau 640\npantau:pantau 750\n" {
		t.Errorf("owners and modes of /etc/pantau, its config, /var/lib/pantau:\n%s", st)
	}

	// An upgrade keeps the site's config edits and the spool, byte for byte.
	site := func() {
		c.sh("sed -i 's/^site: .*/site: depot-north/' /etc/pantau/pantau.yaml; mkdir -p /var/lib/pantau/spool; " +
			"head -c 65536 /dev/urandom >/var/lib/pantau/spool/queued; chown -R pantau:pantau /var/lib/pantau/spool")
	}
	kept := func(what string, spool string) {
		t.Helper()
		if !strings.Contains(c.read("etc/pantau/pantau.yaml"), "\nsite: depot-north\n") {
			t.Errorf("%s: the site's config edit is gone", what)
		}
		if got := c.read("var/lib/pantau/spool/queued"); got != spool {
			t.Errorf("%s: the spool changed", what)
		}
	}
	site()
	spool := c.read("var/lib/pantau/spool/queued")
	c.sh("apt-get install -y /tmp/pantau_1.0.1.deb")
	kept("upgrade 1.0.0 → 1.0.1 (no systemd)", spool)

	// Removal keeps config and spool; purge deletes them (the user stays).
	c.sh("apt-get remove -y pantau")
	kept("apt-get remove", spool)
	c.sh("apt-get purge -y pantau")
	if out := c.sh("ls -d /var/lib/pantau /etc/pantau 2>&1 || true; getent passwd pantau | cut -d: -f1"); out != "ls: cannot access '/var/lib/pantau': No such file or directory\nls: cannot access '/etc/pantau': No such file or directory\npantau\n" {
		t.Errorf("after purge: %q, want the spool and /etc/pantau gone, the user kept", out)
	}

	// With systemd on the box (not running: the stand-in answers for it).
	c.sh("apt-get install -y -qq --no-install-recommends systemd >/dev/null")
	c.write("usr/local/sbin/systemctl", fakeManager)
	c.sh("mkdir -p /run/systemd/system; echo active >/run/fake-state; : >/run/systemctl.log")
	c.sh("apt-get install -y /tmp/pantau_1.0.1.deb")
	if st := c.sh("/usr/bin/systemctl is-enabled pantau.service || true"); st != "disabled\n" {
		t.Errorf("fresh install: unit %q, want disabled until configured", st)
	}
	if l := c.read("run/systemctl.log"); regexp.MustCompile(`(?m)\b(start|restart|try-restart|enable)\b`).MatchString(l) {
		t.Errorf("fresh install started or enabled the service:\n%s", l)
	}
	site()
	spool = c.read("var/lib/pantau/spool/queued")
	c.sh("/usr/bin/systemctl enable pantau.service")

	for _, step := range []struct{ version, state, want string }{
		{"1.0.2", "active", "try-restart pantau.service"},
		{"1.0.3", "inactive", ""},
	} {
		c.sh(fmt.Sprintf("echo %s >/run/fake-state; : >/run/systemctl.log; apt-get install -y /tmp/pantau_%s.deb", step.state, step.version))
		what := fmt.Sprintf("upgrade to %s with the agent %s", step.version, step.state)
		kept(what, spool)
		if st := c.sh("/usr/bin/systemctl is-enabled pantau.service || true"); st != "enabled\n" {
			t.Errorf("%s: unit %q, want it still enabled", what, st)
		}
		l := c.read("run/systemctl.log")
		restarts := regexp.MustCompile(`(?m)^(try-restart|restart|start|reload-or-restart)\b.*$`).FindAllString(l, -1)
		if step.want == "" && len(restarts) > 0 || step.want != "" && (len(restarts) != 1 || restarts[0] != step.want) {
			t.Errorf("%s: service manager asked %q, want %q\nlog:\n%s", what, restarts, step.want, l)
		}
		if v := c.sh("dpkg-query -W -f '${Version}' pantau"); v != step.version {
			t.Errorf("%s: installed version %q", what, v)
		}
	}
}

func grep(s, re string) string { return regexp.MustCompile(re).FindString(s) }

// diffLines returns the lines of b not in a (both sorted).
func diffLines(a, b string) []string {
	seen := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		seen[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if l != "" && !seen[l] {
			out = append(out, l)
		}
	}
	return out
}
