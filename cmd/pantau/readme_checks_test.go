package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// What TestReadmeTechnicianPath expects each README command to achieve.

// checkDiscoverTable: every camera listed with manufacturer, model, serial,
// its device service, status ok and the analysed profile's stream URI,
// which carries no password.
func (r *readmeRun) checkDiscoverTable(out string) {
	t := r.t
	t.Helper()
	if strings.Contains(out, readmePassword) {
		t.Errorf("discover prints the camera password:\n%s", out)
	}
	if !strings.Contains(out, "2 device(s)") {
		t.Errorf("discover does not list 2 devices:\n%s", out)
	}
	for _, c := range r.cams {
		row := regexp.MustCompile(regexp.QuoteMeta(c.device) + `\s+` + regexp.QuoteMeta(c.manufacturer) + `\s+` +
			regexp.QuoteMeta(c.model) + `\s+` + regexp.QuoteMeta(c.serial) + `\s+ok\n\s+\* main\s+H264\s+768x576\s+10fps\s+` +
			regexp.QuoteMeta(c.stream) + `\n`)
		if !row.MatchString(out) {
			t.Errorf("discover does not list %s %s at %s, ok, stream %s:\n%s", c.manufacturer, c.model, c.device, c.stream, out)
		}
	}
}

// checkWrittenConfig: cameras.yaml names each camera with its stream URL
// (no credentials in it), device service and credentials, mode 0600.
func (r *readmeRun) checkWrittenConfig() {
	t := r.t
	t.Helper()
	path := filepath.Join(r.work, "cameras.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("--write-config wrote no cameras.yaml: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("cameras.yaml mode %v, want 0600 (it holds passwords)", st.Mode().Perm())
	}
	var cfg struct {
		Cameras []struct{ Name, URL, ONVIF, Username, Password string }
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("cameras.yaml: %v\n%s", err, b)
	}
	if len(cfg.Cameras) != len(r.cams) {
		t.Fatalf("cameras.yaml has %d cameras, want %d:\n%s", len(cfg.Cameras), len(r.cams), b)
	}
	for _, c := range r.cams {
		found := false
		for _, got := range cfg.Cameras {
			if got.Name != c.name {
				continue
			}
			found = true
			if got.URL != c.stream || got.ONVIF != c.device || got.Username != "admin" || got.Password != readmePassword {
				t.Errorf("cameras.yaml %s: url %s onvif %s user %s, want %s %s admin (and the password)", c.name, got.URL, got.ONVIF, got.Username, c.stream, c.device)
			}
		}
		if !found {
			t.Errorf("cameras.yaml has no camera %s:\n%s", c.name, b)
		}
	}
}

// readmeMessage is one line of mosquitto_sub -v: topic, space, payload.
type readmeMessage struct{ topic, payload string }

func readmeMessages(p *readmeProc) []readmeMessage {
	var ms []readmeMessage
	for _, l := range p.out.lines() {
		if topic, payload, ok := strings.Cut(l, " "); ok {
			ms = append(ms, readmeMessage{topic, payload})
		}
	}
	return ms
}

// watch follows what mosquitto_sub shows while pantau run runs: the agent
// and each camera online, motion events from each camera; then, after
// Ctrl-C on the agent, each camera's partial counts and everyone offline.
func (r *readmeRun) watch(sub *readmeProc) {
	t := r.t
	t.Helper()
	agent := r.agent
	prefix := "pantau/v1/" + regexp.QuoteMeta(readmeSite) + "/[^/]+/"
	type want struct {
		what            string
		topic           *regexp.Regexp
		payload         string
		needsSchemaJSON bool
	}
	// seen checks ws against the messages from the from-th on.
	seen := func(ws []want, agentRuns bool, from int) func() string {
		return func() string {
			select {
			case <-agent.done:
				if agentRuns {
					t.Fatalf("pantau run exited early: %v\n%s", agent.err, agent.errb.String())
				}
			default:
			}
			ms := readmeMessages(sub)[from:]
			for _, w := range ws {
				ok := false
				for _, m := range ms {
					if w.topic.MatchString(m.topic) && strings.Contains(m.payload, w.payload) {
						var p struct{ Schema, ID string }
						if err := json.Unmarshal([]byte(m.payload), &p); err != nil || (w.needsSchemaJSON && (p.Schema == "" || p.ID == "")) {
							t.Fatalf("%s on %s is not a message of the MQTT contract: %s", w.what, m.topic, m.payload)
						}
						ok = true
						break
					}
				}
				if !ok {
					return "no " + w.what
				}
			}
			return ""
		}
	}
	dump := func() string {
		return "mosquitto_sub:\n" + sub.out.String() + sub.errb.String() + "\npantau run:\n" + agent.errb.String() + "\nmosquitto:\n" + r.broker.Log()
	}
	running := []want{{"agent status online", regexp.MustCompile("^" + prefix + "status$"), `"online"`, false}}
	stopped := []want{{"agent status offline", regexp.MustCompile("^" + prefix + "status$"), `"offline"`, false}}
	for _, c := range r.cams {
		cam := prefix + regexp.QuoteMeta(c.name) + "/"
		running = append(running,
			want{c.name + " status online", regexp.MustCompile("^" + cam + "status$"), `"online"`, true},
			want{c.name + " motion event", regexp.MustCompile("^" + cam + "event/motion$"), `"motion"`, true})
		stopped = append(stopped,
			want{c.name + " counts", regexp.MustCompile("^" + cam + "counts$"), `"partial":true`, true},
			want{c.name + " status offline", regexp.MustCompile("^" + cam + "status$"), `"offline"`, true})
	}
	waitFor(t, 40*time.Second, "mosquitto_sub while pantau run runs", seen(running, true, 0), dump)
	t.Logf("after %s: agent and both cameras online, motion events seen", time.Since(agent.started).Round(time.Millisecond))
	if d := 10*time.Second - time.Since(agent.started); d > 0 {
		time.Sleep(d) // the README's foreground run, for about 10 s
	}
	// Cameras are "offline" before their first frame too: only what comes
	// after Ctrl-C counts as the shutdown.
	before := len(readmeMessages(sub))
	if err := agent.stop(syscall.SIGINT, 25*time.Second); err != nil {
		t.Fatalf("pantau run after Ctrl-C: %v (want exit status 0)\n%s", err, dump())
	}
	waitFor(t, 10*time.Second, "mosquitto_sub after Ctrl-C on pantau run", seen(stopped, false, before), dump)
	_ = sub.stop(syscall.SIGINT, 5*time.Second)
	all := sub.out.String() + agent.out.String() + agent.errb.String()
	if strings.Contains(all, readmePassword) {
		t.Errorf("the camera password appears in the agent's log or on MQTT:\n%s", dump())
	}
	t.Logf("mosquitto_sub saw %d messages:\n%s\npantau run log:\n%s", len(readmeMessages(sub)), sub.out.String(), agent.errb.String())
}

// checkInstalled: the install lines put binary, config, environment file
// and unit in place, and the unit's ExecStartPre (pantau check) accepts the
// installed config with only the installed environment file.
func (r *readmeRun) checkInstalled() {
	t := r.t
	t.Helper()
	same := func(installed, orig string, mode os.FileMode) {
		a, errA := os.ReadFile(filepath.Join(r.root, installed))
		b, errB := os.ReadFile(filepath.Join(r.work, orig))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("installed %s is not %s (%v, %v)", installed, orig, errA, errB)
			return
		}
		if st, err := os.Stat(filepath.Join(r.root, installed)); err != nil || st.Mode().Perm() != mode {
			t.Errorf("installed %s: mode %v, want %v", installed, st.Mode().Perm(), mode)
		}
	}
	same("usr/local/bin/pantau", "bin/pantau", 0o755)
	same("etc/pantau/pantau.yaml", "cameras.yaml", 0o640)
	if st, err := os.Stat(filepath.Join(r.root, "etc/pantau")); err != nil || st.Mode()&(os.ModePerm|os.ModeSticky) != os.ModeSticky|0o770 {
		t.Errorf("installed /etc/pantau: %v %v, want drwxrwx--T (1770, as the package makes it)", st, err)
	}
	same("etc/systemd/system/pantau.service", "configs/systemd/pantau.service", 0o644)

	envFile, err := os.ReadFile(filepath.Join(r.root, "etc/pantau/pantau.env"))
	if err != nil {
		t.Fatalf("no environment file installed: %v", err)
	}
	// systemd's EnvironmentFile: KEY=VALUE lines.
	env := append([]string(nil), r.env...)
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(envFile)), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("pantau.env line %q is not KEY=VALUE", l)
		}
		got[k] = v
		env = append(env, l)
	}
	if got["PANTAU_SITE"] != readmeSite || got["PANTAU_MQTT_URL"] != "tcp://127.0.0.1:1883" {
		t.Errorf("pantau.env = %q, want PANTAU_SITE=%s and PANTAU_MQTT_URL=tcp://127.0.0.1:1883", envFile, readmeSite)
	}
	unit, err := os.ReadFile(filepath.Join(r.root, "etc/systemd/system/pantau.service"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ExecStartPre=(.*)$`).FindStringSubmatch(string(unit))
	if m == nil {
		t.Fatal("the unit has no ExecStartPre (pantau check)")
	}
	args := strings.Fields(m[1])
	for i, a := range args {
		if strings.HasPrefix(a, "/") {
			args[i] = filepath.Join(r.root, a)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("ExecStartPre %s:\n%s", strings.Join(args, " "), out)
	if err != nil || !strings.HasPrefix(string(out), "ok: 2 cameras (2 enabled), site "+readmeSite+",") {
		t.Errorf("the unit's ExecStartPre on the installed files: %v\n%s", err, out)
	}
}
