package agent

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
)

// TestCommandsEndToEnd sends the command centre's commands through a real
// broker to a running agent: status, snapshot (a real JPEG of the camera's
// frame, inline and by URL), a disabled command, an unknown one and a bad
// body each get a result on …/cmd/{name}/result that matches the schema.
func TestCommandsEndToEnd(t *testing.T) {
	broker := testbroker.Start(t)
	cam := startCam(t, camsim.Config{Clip: needClip(t, "vtest_h264.mp4")})
	listen := freeAddr(t)
	startAgent(t, agentHead(broker.URL(), listen, t.TempDir(), "commands: {disabled: [discover], max_age: 30s}")+fmt.Sprintf(`cameras:
  - {name: cam1, url: %q}
`, cam.URL()), "")
	const prefix = "pantau/v1/s/a/"
	sub := testbroker.Subscribe(t, broker.URL(), prefix+"#")
	sub.WaitTopic(t, 30*time.Second, prefix+"cam1/status", `"online"`)

	ask := func(name, body string) map[string]any {
		t.Helper()
		sub.Publish(t, prefix+"cmd/"+name, withTS(body), false)
		m := sub.WaitTopic(t, 15*time.Second, prefix+"cmd/"+name+"/result", "")
		if err := event.Validate(prefix+"cmd/"+name+"/result", m.Payload); err != nil {
			t.Errorf("%s result does not match its schema: %v\n%s", name, err, m.Payload)
		}
		sub.Reset()
		return payload(t, m)
	}

	st := ask("status", `{"request_id": "r1"}`)
	if st["ok"] != true || st["request_id"] != "r1" {
		t.Errorf("status: %v", st)
	}

	snap := ask("snapshot", `{"request_id": "r2", "camera": "cam1", "inline": true}`)
	res, _ := snap["result"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(fmt.Sprint(res["jpeg_base64"]))
	if snap["ok"] != true || err != nil {
		t.Fatalf("snapshot: %v (%v)", snap, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("snapshot is not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != int(res["width"].(float64)) || b.Dx() < 320 {
		t.Errorf("snapshot %v, result says width %v", b, res["width"])
	}

	byURL := ask("snapshot", `{"request_id": "r3", "camera": "cam1"}`)
	url := "http://" + listen + "/snapshot/cam1.jpg"
	if res, _ := byURL["result"].(map[string]any); res["url"] != url {
		t.Errorf("snapshot by URL: %v", byURL)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := jpeg.Decode(resp.Body); err != nil || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("GET %s: %v, content type %q", url, err, resp.Header.Get("Content-Type"))
	}

	for _, c := range []struct{ name, body, why string }{
		{"discover", `{"request_id": "r4"}`, "disabled"},
		{"reboot", `{"request_id": "r5"}`, "unknown"},
		{"snapshot", `{"request_id": "r6", "camera": "nope"}`, "nope"},
		{"status", `not json`, ""},
	} {
		r := ask(c.name, c.body)
		if r["ok"] != false || r["error"] == "" {
			t.Errorf("%s %s: %v, want an error result", c.name, c.body, r)
		}
		if c.why != "" && !bytes.Contains([]byte(fmt.Sprint(r["error"])), []byte(c.why)) {
			t.Errorf("%s: error %q does not say %q", c.name, r["error"], c.why)
		}
	}

	// commands.max_age is 30 s here (the default is 60 s): a status sent
	// 45 s ago was queued too long.
	old := time.Now().Add(-45 * time.Second).UTC().Format(time.RFC3339Nano)
	sub.Publish(t, prefix+"cmd/status", []byte(`{"ts":"`+old+`","request_id":"r7"}`), false)
	r := payload(t, sub.WaitTopic(t, 15*time.Second, prefix+"cmd/status/result", ""))
	if r["ok"] != false || !strings.Contains(fmt.Sprint(r["error"]), "commands.max_age 30s") {
		t.Errorf("status sent 45 s ago with commands.max_age 30s: %v, want refused naming commands.max_age", r)
	}
}

// withTS puts the current ts into a JSON command body (commands without
// one are refused).
func withTS(body string) []byte {
	if !strings.HasPrefix(body, "{") {
		return []byte(body)
	}
	return []byte(`{"ts":"` + time.Now().UTC().Format(time.RFC3339Nano) + `",` + strings.TrimPrefix(body, "{"))
}
