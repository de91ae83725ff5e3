package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// Passwords with every character that breaks a naive URL redactor (issue
// 12 item 9): '@' (user info ends at the last one), ':', '/', '#', '?'
// and '%' (in a URL only as an escape, so leakRaw, written raw into a
// URL, has none). Their pieces between those characters are long and odd
// enough that finding one anywhere is a leak, not chance.
const (
	leakRaw   = "Kx7qv@Lm2wj:Pz9rt/Tb4nh#Vc8sg?Wd3fy"
	leakRight = "Nw4hc@Bq7ze:Dp5ua/Xr2mu#Fy6lk?Sg8vo%41%"
	leakWrong = "Qh5kd@Rn6xz:Ys2pm/Jt9bw#Gf4cv?"
	leakBad   = "Mv3ty@Hb8qr:Zk5nd/"
)

// TestNoPasswordInAnyOutput runs the binary on two camera simulators and
// a live mosquitto. One camera gives leakRaw raw in its URL; three give
// leakRight percent-escaped in the URL, as the password key and as a
// systemd credential (password_credential, $CREDENTIALS_DIRECTORY); one
// gives a wrong password of the same kind. Then the status, snapshot and reload
// commands run, the reload on a config whose new camera URL does not
// parse and holds leakBad. No piece of any password may show in the log,
// any MQTT message (retained statuses and command results included),
// /metrics, /readyz or /api/v1/cameras.
func TestNoPasswordInAnyOutput(t *testing.T) {
	work := t.TempDir()
	bin := buildPantau(t)
	broker := testbroker.Start(t)
	startCam := func(password string) (plain, hostPath string) {
		cam, err := camsim.New(camsim.Config{Clip: filepath.Join("..", "..", "testdata", "clips", "vtest_h264.mp4"),
			Addr: "127.0.0.1:0", User: "admin", Password: password})
		if err != nil {
			t.Fatal(err)
		}
		if err := cam.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cam.Close)
		return cam.URL(), strings.TrimPrefix(cam.URL(), "rtsp://")
	}
	_, rawHost := startCam(leakRaw)
	plain, hostPath := startCam(leakRight)
	creds := filepath.Join(work, "credentials")
	if err := os.MkdirAll(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(creds, "cam_gate"), []byte(leakRight+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeLoopbackPort(t)
	cameras := fmt.Sprintf(`cameras:
  - {name: raw, url: %q, fps: 2, decode: keyframes}
  - {name: escaped, url: %q, fps: 2, decode: keyframes}
  - {name: keyed, url: %q, username: admin, password: %q, fps: 2, decode: keyframes}
  - {name: credential, url: %q, username: admin, password_credential: cam_gate, fps: 2, decode: keyframes}
  - {name: wrong, url: %q, fps: 2, decode: keyframes}
`, "rtsp://admin:"+leakRaw+"@"+rawHost, "rtsp://"+url.UserPassword("admin", leakRight).String()+"@"+hostPath,
		plain, leakRight, plain, "rtsp://admin:"+leakWrong+"@"+hostPath)
	head := fmt.Sprintf("site: s1\nagent: box1\nhttp: {listen: %s}\nmqtt: {url: %s}\nspool: {dir: %s}\n",
		addr, broker.URL(), filepath.Join(work, "spool"))
	cfgPath := filepath.Join(work, "pantau.yaml")
	if err := os.WriteFile(cfgPath, []byte(head+cameras), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	log := startBinaryAgent(t, bin, cfgPath, "CREDENTIALS_DIRECTORY="+creds)
	dump := func() string { return "agent log:\n" + log.String() }

	// Every right form of the password must really open the stream: a
	// redactor that mangled the URL it dials would "hide" the password by
	// breaking the camera.
	const prefix = "pantau/v1/s1/box1/"
	for _, name := range []string{"raw", "escaped", "keyed", "credential"} {
		sub.WaitTopic(t, 60*time.Second, prefix+name+"/status", `"online"`)
	}
	sub.WaitTopic(t, 60*time.Second, prefix+"wrong/status", `"auth_failed"`)

	command := func(name, body string) string {
		t.Helper()
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		sub.Publish(t, prefix+"cmd/"+name, []byte(`{"ts":"`+ts+`",`+body+`}`), false)
		return string(sub.WaitTopic(t, 30*time.Second, prefix+"cmd/"+name+"/result", `"leak-`+name+`"`).Payload)
	}
	if res := command("status", `"request_id":"leak-status"`); !strings.Contains(res, `"ok":true`) || !strings.Contains(res, "rtsp://xxxxx@") {
		t.Fatalf("status result without the masked camera URLs:\n%s", res)
	}
	command("snapshot", `"request_id":"leak-snapshot","camera":"raw"`)
	bad := fmt.Sprintf("  - {name: broken, url: %q}\n", "rtsp://admin:"+leakBad+"@"+strings.Replace(hostPath, ":", ":9x", 1))
	if err := os.WriteFile(cfgPath, []byte(head+cameras+bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := command("reload", `"request_id":"leak-reload"`); !strings.Contains(res, `"ok":false`) || !strings.Contains(res, "cameras[5].url") {
		t.Fatalf("reload of a config with a broken camera URL: %s, want refused naming cameras[5].url", res)
	}

	outputs := map[string]string{"agent log": log.String()}
	for _, m := range sub.Messages() {
		outputs["MQTT "+m.Topic] += string(m.Payload) + "\n"
	}
	for _, path := range []string{"/metrics", "/readyz", "/api/v1/cameras"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		outputs["GET "+path] = string(b)
	}
	if !strings.Contains(outputs["agent log"], "wrong credentials") || !strings.Contains(outputs["agent log"], "cameras[5].url") {
		t.Fatalf("the log does not say what the test provoked (wrong credentials, the refused reload):\n%s", dump())
	}
	if err := json.Unmarshal([]byte(outputs["GET /api/v1/cameras"]), new([]map[string]any)); err != nil {
		t.Fatalf("/api/v1/cameras: %v\n%s", err, outputs["GET /api/v1/cameras"])
	}
	var pieces []string
	for _, p := range []string{leakRaw, leakRight, leakWrong, leakBad} {
		pieces = append(pieces, p, url.PathEscape(p), url.QueryEscape(p))
		for _, f := range strings.FieldsFunc(p, func(r rune) bool { return strings.ContainsRune("@:/#?%", r) }) {
			if len(f) >= 5 { // not the "41" of the escape
				pieces = append(pieces, f)
			}
		}
	}
	for where, text := range outputs {
		var found []string
		for _, piece := range pieces {
			if strings.Contains(text, piece) {
				found = append(found, piece)
			}
		}
		if len(found) > 0 {
			t.Errorf("%s holds pieces of camera passwords %q:\n%.3000s", where, found, text)
		}
	}
	t.Logf("%d outputs checked (log, %d MQTT topics, 3 HTTP paths) for %d password pieces: none found",
		len(outputs), len(outputs)-4, len(pieces))
}
