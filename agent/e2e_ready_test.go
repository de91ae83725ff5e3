package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// readyz returns /readyz's status code and JSON body.
func readyz(t *testing.T, listen string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/readyz")
	if err != nil {
		return 0, err.Error() // not listening yet
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("/readyz body is not JSON: %v", err)
	}
	b, _ := json.Marshal(body)
	return resp.StatusCode, string(b)
}

func waitReady(t *testing.T, listen string, want int, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, body := readyz(t, listen)
		if code == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz stayed %d (%s), want %d within %v", code, body, want, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReadyzFollowsTheOnlyCamera: /readyz turns not-ready when the only
// camera goes offline and ready again when it comes back, with a body
// saying why.
func TestReadyzFollowsTheOnlyCamera(t *testing.T) {
	broker := testbroker.Start(t)
	clip := needClip(t, "vtest_h264.mp4")
	cam := startCam(t, camsim.Config{Clip: clip})
	addr := strings.TrimSuffix(strings.TrimPrefix(cam.URL(), "rtsp://"), "/cam")
	listen := freeAddr(t)
	startAgent(t, agentHead(broker.URL(), listen, t.TempDir())+fmt.Sprintf(`cameras:
  - {name: only, url: %q, read_timeout: 2s}
`, cam.URL()), "")

	waitReady(t, listen, http.StatusOK, 30*time.Second)
	cam.Close()
	body := waitReady(t, listen, http.StatusServiceUnavailable, 30*time.Second)
	if !strings.Contains(body, "only") {
		t.Errorf("not-ready body does not name the offline camera: %s", body)
	}
	back, err := camsim.New(camsim.Config{Clip: clip, Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Start(t.Context()); err != nil {
		t.Fatalf("restarting the camera on %s: %v", addr, err)
	}
	defer back.Close()
	waitReady(t, listen, http.StatusOK, 60*time.Second)
}
