package deb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// camPassword is the simulated camera's password, the README's
// CAMERA-PASSWORD.
const camPassword = "cam-s3cret"

var readmeValues = strings.NewReplacer("CAMERA-PASSWORD", camPassword, "BROKER-HOST", "127.0.0.1")

// technicianConfigures runs the README's steps from discover to
// systemctl enable --now in the root's network namespace, where the
// package's own "pantau camsim --onvif" is the camera. The technician's
// edit of cameras.yaml: site depot-north, agent box-1, and counts every
// 2 s (so that the spool fills within seconds); mqtt.url stays
// 127.0.0.1:1883, where no broker runs yet.
func technicianConfigures(t *testing.T, r chroot, steps map[string]string) {
	t.Helper()
	cs := background(t, "camsim", r.cmd("pantau", "camsim", "--clip", "/root/vtest.mp4", "--user", "admin", "--password", camPassword, "--onvif", ":8080")...)
	waitFor(t, time.Minute, "pantau camsim --onvif", func() string {
		if cs.exited() {
			t.Fatalf("pantau camsim exited:\n%s", cs.String())
		}
		if !strings.Contains(cs.String(), "WS-Discovery on") {
			return "not ready"
		}
		return ""
	}, cs.String)

	out := r.sh(readmeValues.Replace(steps["discover"]))
	if !strings.Contains(out, "1 device(s)") || !strings.Contains(out, "rtsp://") || strings.Contains(out, camPassword) {
		t.Errorf("%s: want 1 device with its stream URI and no password:\n%s\ncamsim:\n%s", steps["discover"], out, cs.String())
	}
	r.sh(readmeValues.Replace(steps["write-config"]))
	if st := r.sh("stat -c %a cameras.yaml"); st != "600\n" {
		t.Errorf("cameras.yaml mode %q, want 600 (it holds the password)", st)
	}
	if y := r.read("root/cameras.yaml"); !strings.Contains(y, "url: rtsp://") || !strings.Contains(y, "username: admin") {
		t.Errorf("cameras.yaml names no camera:\n%s", y)
	}
	t.Logf("%s: the test's edit: site depot-north, agent box-1, counts.interval 2s", steps["edit"])
	r.sh("sed -i 's/^site: .*/site: depot-north/' cameras.yaml\nprintf 'agent: box-1\\ncounts:\\n  interval: 2s\\n' >>cameras.yaml")
	r.sh(steps["install-config"])
	if out := r.sh(steps["check"]); !strings.HasPrefix(out, "ok: 1 cameras (1 enabled), site depot-north, agent box-1, mqtt tcp://127.0.0.1:1883") {
		t.Errorf("%s: %q", steps["check"], out)
	}
	r.sh(steps["enable"])
	if st := r.sh("systemctl is-enabled pantau.service || true"); st != "enabled\n" {
		t.Errorf("%s: unit %q", steps["enable"], st)
	}
	waitFor(t, 2*time.Minute, "the agent running as pantau, spooling while no broker answers", func() string {
		pid := r.agentPID()
		if pid == 0 {
			return "not running"
		}
		if u := r.sh(fmt.Sprintf("stat -c %%U /proc/%d", pid)); u != "pantau\n" {
			t.Fatalf("the agent runs as %q, want the unit's User=pantau", u)
		}
		if n := len(spool(t, r)); n == 0 {
			return "nothing in /var/lib/pantau/spool yet"
		}
		return ""
	}, func() string { return r.read("var/log/pantau.log") + r.read("run/systemctl.log") })
	t.Logf("skipped: %s (no journal in a chroot: the stand-in writes the agent's log to /var/log/pantau.log)", steps["journal"])
}

// upgrades installs newer packages over the configured one: with the
// agent running (restarted once, onto the new binary), then stopped (not
// started; the spool byte for byte the same); then the broker comes and
// every message queued since the first start arrives, seq 1 upward
// without a gap. Last, remove and purge.
func upgrades(t *testing.T, r chroot, steps map[string]string, arch string) {
	t.Helper()
	config := r.read("etc/pantau/pantau.yaml")
	kept := func(what, version string) {
		t.Helper()
		if r.read("etc/pantau/pantau.yaml") != config {
			t.Errorf("%s: the site's config changed", what)
		}
		if st := r.sh("systemctl is-enabled pantau.service || true"); st != "enabled\n" {
			t.Errorf("%s: unit %q, want it still enabled", what, st)
		}
		if v := r.sh("dpkg-query -W -f '${Version}' pantau"); v != version {
			t.Errorf("%s: installed version %q", what, v)
		}
	}
	upgrade := func(version string) []string {
		r.sh(fmt.Sprintf(": >/run/systemctl.log\napt install ./old/pantau_%s_%s.deb", version, arch))
		return managerActions(r.read("run/systemctl.log"))
	}

	before := r.agentPID()
	acts := upgrade("1.0.1")
	what := "upgrade to 1.0.1 with the agent running"
	if n := countActions(acts, "start", "restart", "try-restart", "condrestart", "stop"); n != 1 || countActions(acts, "try-restart") != 1 {
		t.Errorf("%s: the service manager was asked %v, want one try-restart", what, acts)
	}
	after := r.agentPID()
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", after))
	if after == 0 || after == before || !strings.HasSuffix(exe, "/usr/bin/pantau") {
		t.Errorf("%s: agent pid %d before, %d (%s) after: want a new process of the new /usr/bin/pantau", what, before, after, exe)
	}
	kept(what, "1.0.1")

	r.sh("systemctl stop pantau")
	if pid := r.agentPID(); pid != 0 || strings.Contains(r.read("run/systemctl.log"), "killed") {
		t.Fatalf("systemctl stop pantau: agent %d still runs, or needed SIGKILL:\n%s", pid, r.read("run/systemctl.log"))
	}
	queued := spool(t, r)
	acts = upgrade("1.0.2")
	what = "upgrade to 1.0.2 with the agent stopped"
	if n := countActions(acts, "start", "restart", "try-restart", "condrestart"); n != 0 || r.agentPID() != 0 {
		t.Errorf("%s: the service manager was asked %v, agent pid %d: want it left stopped", what, acts, r.agentPID())
	}
	if got := spool(t, r); !equalMaps(got, queued) {
		t.Errorf("%s: the spool changed:\nbefore %v\nafter  %v", what, queued, got)
	}
	kept(what, "1.0.2")

	delivered(t, r, steps["subscribe"])

	if r.agentPID() == 0 {
		t.Fatal("the agent stopped after delivering its spool")
	}
	r.sh(": >/run/systemctl.log\napt-get remove pantau")
	if r.agentPID() != 0 || len(spool(t, r)) == 0 || r.read("etc/pantau/pantau.yaml") != config {
		t.Errorf("apt-get remove: want the running agent stopped (pid %d), the spool and the config kept\n%s", r.agentPID(), r.read("run/systemctl.log"))
	}
	r.sh("apt-get purge pantau")
	if out := r.sh("ls -d /var/lib/pantau /etc/pantau 2>&1 || true; getent passwd pantau | cut -d: -f1"); out != "ls: cannot access '/var/lib/pantau': No such file or directory\nls: cannot access '/etc/pantau': No such file or directory\npantau\n" {
		t.Errorf("after purge: %q, want the spool and /etc/pantau gone, the user kept", out)
	}
}

// delivered starts a broker and the README's mosquitto_sub in the
// namespace, starts the agent, and waits until every spooled message of
// the camera has arrived: seq 1 to the highest seen without a gap, and
// the highest from after this start (per camera the spool sends in seq
// order, so everything queued before it came first).
func delivered(t *testing.T, r chroot, subscribe string) {
	t.Helper()
	broker := startBroker(t, r.netns)
	sub := background(t, "mosquitto_sub", "ip", "netns", "exec", r.netns, "sh", "-c", "exec "+readmeValues.Replace(subscribe))
	waitFor(t, 10*time.Second, "mosquitto_sub connected", func() string {
		if !strings.Contains(broker.String(), "New client connected") {
			return "no client yet"
		}
		return ""
	}, broker.String)
	time.Sleep(time.Second) // its SUBSCRIBE follows the CONNECT
	started := time.Now()
	r.sh("systemctl start pantau")
	var report string
	waitFor(t, 3*time.Minute, "every queued message delivered", func() string {
		seqs, live, dropped := map[int]bool{}, false, 0
		for _, l := range strings.Split(sub.String(), "\n") {
			_, payload, _ := strings.Cut(l, " ")
			var m struct {
				Seq   int    `json:"seq"`
				TS    string `json:"ts"`
				Spool *struct {
					Dropped int `json:"dropped"`
				} `json:"spool"`
			}
			if json.Unmarshal([]byte(payload), &m) != nil {
				continue
			}
			if m.Spool != nil && m.Spool.Dropped > dropped {
				dropped = m.Spool.Dropped
			}
			if m.Seq == 0 {
				continue
			}
			seqs[m.Seq] = true
			if ts, err := time.Parse(time.RFC3339, m.TS); err == nil && ts.After(started) {
				live = true
			}
		}
		if dropped > 0 {
			t.Fatalf("the agent dropped %d spooled messages", dropped)
		}
		hi := 0
		for s := range seqs {
			hi = max(hi, s)
		}
		report = fmt.Sprintf("seq 1..%d", hi)
		for s := 1; s <= hi; s++ {
			if !seqs[s] {
				return fmt.Sprintf("seq %d missing of 1..%d", s, hi)
			}
		}
		if hi == 0 || !live {
			return fmt.Sprintf("seq 1..%d, none sent after the start yet", hi)
		}
		return ""
	}, func() string {
		return "mosquitto_sub:\n" + tail(sub.String()) + "\nagent:\n" + tail(r.read("var/log/pantau.log"))
	})
	t.Logf("the broker got %s without a gap, across two upgrades and three agent starts", report)
}

// spool returns each file under /var/lib/pantau with its sha256.
func spool(t *testing.T, r chroot) map[string]string {
	t.Helper()
	files := map[string]string{}
	dir := filepath.Join(r.root, "var/lib/pantau")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(b) > 0 {
			sum := sha256.Sum256(b)
			files[strings.TrimPrefix(p, dir)] = hex.EncodeToString(sum[:8])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// managerActions are the actions systemctl was asked for, in order: the
// first word of each call that is not an option.
func managerActions(log string) []string {
	var acts []string
	for _, l := range strings.Split(log, "\n") {
		for _, w := range strings.Fields(l) {
			if !strings.HasPrefix(w, "-") {
				acts = append(acts, w)
				break
			}
		}
	}
	return acts
}

func countActions(acts []string, which ...string) int {
	n := 0
	for _, a := range acts {
		for _, w := range which {
			if a == w {
				n++
			}
		}
	}
	return n
}
