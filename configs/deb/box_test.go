package deb

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// chroot runs shell commands inside a Debian root with a clean
// environment, as a technician's root shell there would; with netns set,
// inside that network namespace (no network at all, or only a loopback
// of its own).
type chroot struct {
	t     *testing.T
	root  string
	netns string
}

// cmd is the command line that runs args in the root.
func (c chroot) cmd(args ...string) []string {
	cmd := []string{"chroot", c.root, "/usr/bin/env", "-i",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8", "HOME=/root"}
	if c.netns != "" {
		cmd = append([]string{"ip", "netns", "exec", c.netns}, cmd...)
	}
	return append(cmd, args...)
}

// sh runs script with sh -e in /root and returns its stdout.
func (c chroot) sh(script string) string {
	c.t.Helper()
	a := c.cmd("/bin/sh", "-ec", "cd /root\n"+script)
	return run(c.t, "", nil, a[0], a[1:]...)
}

func (c chroot) read(p string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.root, p))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

func (c chroot) write(p, s string, mode os.FileMode) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(c.root, p)), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.root, p), []byte(s), mode); err != nil {
		c.t.Fatal(err)
	}
}

func (c chroot) copyIn(src, dst string) {
	c.t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(dst, string(b), 0o644)
}

// mount gives the root /proc, /dev and /sys (apt, dpkg and the agent need
// them), unmounted when the test ends.
func (c chroot) mount() {
	c.t.Helper()
	for _, m := range [][]string{{"-t", "proc", "proc", "proc"}, {"--bind", "/dev", "dev"}, {"-t", "sysfs", "sys", "sys"}} {
		target := filepath.Join(c.root, m[len(m)-1])
		run(c.t, "", nil, "mount", append(m[:len(m)-1], target)...)
		c.t.Cleanup(func() { _, _ = runErr("", nil, "umount", "-l", target) })
	}
}

// newNetns makes a network namespace, deleted when the test ends. With
// loopback, its lo is up and multicast-capable with 224.0.0.0/4 routed to
// it (WS-Discovery between pantau discover and camsim); without, it has
// no usable interface at all: an offline box.
func newNetns(t *testing.T, loopback bool) string {
	t.Helper()
	need(t, "scripts/setup.sh (apt-get install iproute2)", "ip")
	name := fmt.Sprintf("pantau-deb-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	run(t, "", nil, "ip", "netns", "add", name)
	t.Cleanup(func() { _, _ = runErr("", nil, "ip", "netns", "del", name) })
	if loopback {
		run(t, "", nil, "ip", "-n", name, "link", "set", "lo", "up")
		run(t, "", nil, "ip", "-n", name, "link", "set", "lo", "multicast", "on")
		run(t, "", nil, "ip", "-n", name, "route", "add", "224.0.0.0/4", "dev", "lo")
	}
	return name
}

// proc is a background process of the test; its output is kept.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// String is everything the process printed so far.
func (p *proc) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// background starts a command, killed (by its own pid) when the test ends.
func background(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(args[0], args[1:]...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// waitFor polls cond until it returns "" or d passes; then it fails the
// test with cond's last answer and what dump returns.
func waitFor(t *testing.T, d time.Duration, what string, cond func() string, dump func() string) {
	t.Helper()
	end := time.Now().Add(d)
	for {
		why := cond()
		if why == "" {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v: %s\n%s", what, d, why, dump())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// startBroker runs the build machine's mosquitto in the namespace on
// 127.0.0.1:1883 (the agent's default mqtt.url), anonymous: only the
// namespace's loopback reaches it.
func startBroker(t *testing.T, netns string) *proc {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto" // Debian's place, not always on PATH
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("mosquitto not found: run scripts/setup.sh (apt-get install mosquitto)")
		}
	}
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(conf, []byte("listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := background(t, "mosquitto", "ip", "netns", "exec", netns, bin, "-c", conf)
	waitFor(t, 10*time.Second, "mosquitto on 127.0.0.1:1883", func() string {
		if b.exited() {
			t.Fatalf("mosquitto exited:\n%s", b.String())
		}
		if !strings.Contains(b.String(), "Opening ipv4 listen socket on port 1883") {
			return "not listening yet"
		}
		return ""
	}, b.String)
	return b
}

// agentPID is the pid of the agent the stand-in systemctl started, 0 if
// none runs.
func (c chroot) agentPID() int {
	b, err := os.ReadFile(filepath.Join(c.root, "run/pantau.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if pid == 0 || err != nil || strings.Contains(string(st), ") Z ") {
		return 0
	}
	return pid
}
