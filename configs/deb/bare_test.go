package deb

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBareDebian12 follows the README's technician path on fresh minimal
// Debian 12 roots made by mmdebstrap (--variant=minbase: nothing but
// Debian's required packages and apt), with the README's own command
// lines (technicianPath; arm64 file names become this machine's):
//
//  1. The offline recipe: on a bare root with network, the dependency
//     closure is fetched into one folder; a second, untouched copy of the
//     bare root, in a network namespace with no interface at all, installs
//     the folder with apt — the proof that Depends is complete (no
//     Recommends to paper over a gap). pantau check and eval run there.
//  2. The online path on the first root, with systemd added as on any
//     Debian 12 box: apt install of the package, pantau version, discover
//     and --write-config against "pantau camsim --onvif" (the package's
//     own simulator) in a network namespace with only a loopback, the
//     technician's edit, install, check, systemctl enable --now.
//  3. Upgrades (bare_upgrade_test.go): with the agent running, then
//     stopped; the site's config and the spool kept; restarted only if it
//     was running; then the broker comes and every queued message arrives.
//  4. apt remove keeps config and spool; apt purge deletes them.
//
// systemd cannot run as PID 1 in a chroot: testdata/systemctl-standin.sh
// stands in for it (it says what it does and does not).
func TestBareDebian12(t *testing.T) {
	if !long(t) {
		t.SkipNow()
	}
	need(t, "scripts/deb-setup.sh", "mmdebstrap", "chroot", "mount", "umount", "dpkg-deb", "ip", "cp")
	need(t, "scripts/setup.sh (apt-get install mosquitto-clients)", "mosquitto_sub")
	steps, fetch, offline := technicianPath(t)
	arch := strings.TrimSpace(run(t, "", nil, "dpkg", "--print-architecture"))
	tmp := t.TempDir()
	debs := map[string]string{}
	debs["1.0.0"] = buildDeb(t, arch, "DEB_OUT="+filepath.Join(tmp, "v1"), "DEB_VERSION=1.0.0")
	x := filepath.Join(tmp, "x")
	run(t, "", nil, "dpkg-deb", "-x", debs["1.0.0"], x)
	bin := filepath.Join(x, "usr/bin/pantau")
	for _, v := range []string{"1.0.1", "1.0.2"} {
		debs[v] = buildDeb(t, arch, "DEB_OUT="+filepath.Join(tmp, v), "DEB_VERSION="+v, "DEB_BIN="+bin, "DEB_COMPRESS=gzip", "DEB_COMPRESS_LEVEL=1")
	}
	clip, cfg, cam := evalInputs(t)
	want := crossings(t, nil, []string{bin}, clip, cfg, cam)

	root := filepath.Join(tmp, "root")
	start := time.Now()
	run(t, "", nil, "mmdebstrap", "--quiet", "--mode=root", "--variant=minbase", "bookworm", root)
	t.Logf("figure: mmdebstrap --variant=minbase bookworm: %v", time.Since(start).Round(time.Second))
	box := filepath.Join(tmp, "box")
	run(t, "", nil, "cp", "-a", root, box)

	r := chroot{t: t, root: root}
	r.mount()
	resolv, _ := os.ReadFile("/etc/resolv.conf")
	r.write("etc/resolv.conf", string(resolv), 0o644)
	for _, c := range []chroot{r, {t: t, root: box}} {
		// The technician answers apt's "Do you want to continue?" with yes.
		c.write("etc/apt/apt.conf.d/90technician", "APT::Get::Assume-Yes \"true\";\n", 0o644)
		c.copyIn(clip, "root/vtest.mp4")
		c.copyIn(cfg, "root/vtest.yaml")
	}
	for v, deb := range debs {
		r.copyIn(deb, "root/pantau_"+v+"_"+arch+".deb")
	}
	r.sh("mkdir -p old && mv pantau_1.0.[12]_*.deb old/")

	// 1. The offline recipe: fetch on the bare root, install on its copy.
	script := ""
	for _, l := range fetch {
		script += forArch(l, arch) + "\n"
	}
	start = time.Now()
	r.sh(script)
	fetched, _ := filepath.Glob(filepath.Join(root, "root/pantau-offline/*.deb"))
	var size int64
	for _, f := range fetched {
		fi, _ := os.Stat(f)
		size += fi.Size()
	}
	t.Logf("figure: offline folder (package and its closure, no Recommends) on bare Debian 12: %d .debs, %d bytes, fetched in %v",
		len(fetched), size, time.Since(start).Round(time.Second))
	b := chroot{t: t, root: box, netns: newNetns(t, false)}
	b.mount()
	run(t, "", nil, "cp", "-a", filepath.Join(root, "root/pantau-offline"), filepath.Join(box, "root/"))
	before := b.sh("dpkg-query -W -f '${Package}\\n' | sort")
	start = time.Now()
	out := b.sh("cd pantau-offline\n" + strings.Join(offline, "\n"))
	t.Logf("figure: offline apt install of the folder on bare Debian 12: %v; %s; %s", time.Since(start).Round(time.Second),
		grep(out, `(?m)^\d+ upgraded, \d+ newly installed.*$`), grep(out, `(?m)^After this operation.*$`))
	added := diffLines(before, b.sh("dpkg-query -W -f '${Package}\\n' | sort"))
	checkNoBuildChain(t, "offline install", added)
	if len(added) != len(fetched) {
		t.Errorf("offline install added %d packages, the folder holds %d", len(added), len(fetched))
	}
	checkInstalled(t, b, "1.0.0", want, cam)

	// 2. The technician's online path, on a box with systemd.
	r.sh("apt-get update -qq && apt-get install -qq --no-install-recommends systemd >/dev/null")
	standin, err := os.ReadFile("testdata/systemctl-standin.sh")
	if err != nil {
		t.Fatal(err)
	}
	r.sh("dpkg-divert --local --rename --add /usr/bin/systemctl >/dev/null")
	r.write("usr/bin/systemctl", string(standin), 0o755)
	r.sh("mkdir -p /run/systemd/system; : >/run/systemctl.log")
	t.Cleanup(func() {
		if pid := r.agentPID(); pid != 0 {
			_, _ = runErr("", nil, "kill", "-KILL", strconv.Itoa(pid))
		}
	})
	before = r.sh("dpkg-query -W -f '${Package}\\n' | sort")
	start = time.Now()
	out = r.sh(forArch(steps["install"], arch))
	fi, _ := os.Stat(debs["1.0.0"])
	t.Logf("figure: package %d bytes, Installed-Size %s KiB; %q on bare Debian 12 with systemd: %v; %s; %s; %s",
		fi.Size(), fields(t, debs["1.0.0"])["Installed-Size"], forArch(steps["install"], arch), time.Since(start).Round(time.Second),
		grep(out, `(?m)^\d+ upgraded, \d+ newly installed.*$`), grep(out, `(?m)^Need to get .*$`), grep(out, `(?m)^After this operation.*$`))
	checkNoBuildChain(t, "apt install", diffLines(before, r.sh("dpkg-query -W -f '${Package}\\n' | sort")))
	if l := r.read("run/systemctl.log"); regexp.MustCompile(`(?m)^(start|restart|try-restart|enable)\b`).MatchString(l) {
		t.Errorf("the first install started or enabled the service:\n%s", l)
	}
	if st := r.sh("systemctl is-enabled pantau.service || true"); st != "disabled\n" {
		t.Errorf("fresh install: unit %q, want disabled until configured", st)
	}
	checkInstalled(t, r, "1.0.0", want, cam)
	r.netns = newNetns(t, true)
	technicianConfigures(t, r, steps)
	upgrades(t, r, steps, arch)
}

// checkInstalled: the installed binary runs, accepts the shipped config,
// counts vtest as the build machine does, and the files have their
// owners and modes.
func checkInstalled(t *testing.T, c chroot, version string, want []string, cam string) {
	t.Helper()
	if v := c.sh("pantau version"); !strings.HasPrefix(v, "pantau "+version+" ") {
		t.Errorf("pantau version: %q", v)
	}
	if out := c.sh("pantau check -c /etc/pantau/pantau.yaml"); !strings.HasPrefix(out, "ok:") {
		t.Errorf("pantau check of the shipped config: %q", out)
	}
	got := crossings(t, nil, c.cmd("pantau"), "/root/vtest.mp4", "/root/vtest.yaml", cam)
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("eval in %s gives %v, on the build machine %v", c.root, got, want)
	}
	if st := c.sh("stat -c '%U:%G %a' /etc/pantau /etc/pantau/pantau.yaml /etc/pantau/credentials /var/lib/pantau"); st != "root:pantau 1770\npantau:pantau 640\nroot:root 700\npantau:pantau 750\n" {
		t.Errorf("owners and modes of /etc/pantau, its config, its credentials, /var/lib/pantau:\n%s", st)
	}
}

func checkNoBuildChain(t *testing.T, what string, added []string) {
	t.Helper()
	if len(added) == 0 {
		t.Errorf("%s added no package", what)
	}
	for _, p := range added {
		if buildChain.MatchString(p) {
			t.Errorf("%s brought %s, a package for building", what, p)
		}
	}
}

func grep(s, re string) string { return regexp.MustCompile(re).FindString(s) }

// diffLines returns the lines of b not in a.
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
