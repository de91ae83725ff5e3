package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := cmdCheck(context.Background(), []string{"-c", "../../configs/pantau.yaml"}, &out, &errOut); err != nil {
		t.Fatalf("check pantau.yaml: %v\n%s", err, out.String())
	}
	if !strings.HasPrefix(out.String(), "ok: 1 cameras") {
		t.Errorf("output = %q, want ok: 1 cameras …", out.String())
	}

	out.Reset()
	t.Setenv("PANTAU_MQTT_PASSWORD", "envsecret")
	t.Setenv("PANTAU_SITE", "from-env")
	if err := cmdCheck(context.Background(), []string{"-c", "../../configs/pantau.yaml", "--print"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "site: from-env\n") || !strings.Contains(s, "password: xxxxx\n") ||
		!strings.Contains(s, "fps: 5\n") || strings.Contains(s, "envsecret") {
		t.Errorf("--print output:\n%s", s)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	data := "site: s\ncolour: red\ncameras:\n  - name: cam1\n    url: rtsp://u:topsecret@/x\n    lines: [{name: l, points: [[0.2, 0.2]]}]\n"
	if err := os.WriteFile(bad, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := mainCode([]string{"check", "-c", bad}, &out, &errOut); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	want := bad + ": colour: unknown key\n" +
		bad + ": cameras[0].url: no host in rtsp://xxxxx@/x\n" +
		bad + ": cameras[0].lines[0].points: need at least 2 points, got 1\n"
	if out.String() != want {
		t.Errorf("output =\n%s\nwant\n%s", out.String(), want)
	}
	if strings.Contains(out.String()+errOut.String(), "topsecret") {
		t.Error("check printed a password")
	}
}

// TestCheckLoadsModels: check builds each camera's analyzers as run would,
// so a model that is not in the manifest beside it is reported by check,
// naming the camera, instead of surfacing as a camera in error at run time.
func TestCheckLoadsModels(t *testing.T) {
	dir := t.TempDir()
	model, err := os.ReadFile("../../models/pantau-selftest.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.onnx"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "pantau.yaml")
	// The shipped self-test model (listed in models/manifest.json) passes;
	// a copy in a folder without a manifest does not.
	abs, _ := filepath.Abs("../../models/pantau-selftest.onnx")
	yaml := "site: s\ncameras:\n" +
		"  - {name: good, url: rtsp://h/a, detector: {type: dnn, model: " + abs + "}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}\n" +
		"  - {name: unlisted, url: rtsp://h/b, detector: {type: dnn, model: mine.onnx}, lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := mainCode([]string{"check", "-c", cfg}, &out, &errOut); code != 1 {
		t.Fatalf("exit code %d, want 1; output:\n%s%s", code, out.String(), errOut.String())
	}
	if s := out.String(); !strings.Contains(s, "cameras[1] (unlisted)") || !strings.Contains(s, "manifest.json") || strings.Contains(s, "(good)") {
		t.Errorf("output:\n%s", s)
	}
}

// TestRefusesOpenListenerOffLoopback: check and run both refuse an HTTP
// listener off loopback without credentials, naming the key to set; with
// a tokens file check accepts it.
func TestRefusesOpenListenerOffLoopback(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "open.yaml")
	data := "site: s\nmqtt: {url: tcp://127.0.0.1:1}\nhttp: {listen: \":0\"}\nspool: {dir: " + dir + "}\n"
	if err := os.WriteFile(cfg, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"check", "run"} {
		var out, errOut bytes.Buffer
		if code := mainCode([]string{cmd, "-c", cfg}, &out, &errOut); code != 1 {
			t.Errorf("%s: exit code %d, want 1", cmd, code)
		}
		if s := out.String() + errOut.String(); !strings.Contains(s, "http.auth.users_file: required because http.listen \":0\" is not a loopback address") {
			t.Errorf("%s output does not name http.auth.users_file:\n%s", cmd, s)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "tokens"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data = strings.Replace(data, `{listen: ":0"}`, `{listen: ":0", auth: {tokens_file: tokens}}`, 1)
	if err := os.WriteFile(cfg, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := mainCode([]string{"check", "-c", cfg}, &out, &errOut); code != 0 {
		t.Errorf("check with a tokens file: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}

// TestRunWarnsAtStart: `pantau run` logs the start-up warnings of issue 12
// item 8 (a config holding a password readable by every user,
// insecure_skip_verify) and the old name mqtt.commands, before anything
// else can fail (here the spool, whose directory cannot be made), and no
// warning holds the password.
func TestRunWarnsAtStart(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "pantau.yaml")
	data := "site: s\nhttp: {listen: 127.0.0.1:0}\n" +
		"mqtt: {url: ssl://127.0.0.1:1, tls: {insecure_skip_verify: true}, commands: {max_age: 30s}}\n" +
		"spool: {dir: " + filepath.Join(blocker, "spool") + "}\n" +
		"cameras:\n  - {name: gate, url: rtsp://127.0.0.1:1/x, username: admin, password: hunter22-secret}\n"
	if err := os.WriteFile(cfg, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := mainCode([]string{"run", "-c", cfg}, &out, &errOut)
	s := out.String() + errOut.String()
	if code == 0 {
		t.Fatalf("run with an unusable spool directory exited 0:\n%s", s)
	}
	for _, want := range []string{"readable by every user", "cameras[0].password", "insecure_skip_verify", "mqtt.commands is the old name"} {
		if !strings.Contains(s, want) {
			t.Errorf("pantau run did not warn %q at start:\n%s", want, s)
		}
	}
	if strings.Contains(s, "hunter22-secret") {
		t.Errorf("the output holds the camera password:\n%s", s)
	}
}
