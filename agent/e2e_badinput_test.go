package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// TestBadCamerasDoNotStopGoodOnes runs one good camera beside a camera that
// refuses connections, one with the wrong password and one whose stream has
// corrupted NAL units, then cuts the good camera's stream and restores it.
// The good camera must keep being analysed throughout (after a reconnect),
// the bad ones must be reported with a clear state, and no password may
// appear in any message.
func TestBadCamerasDoNotStopGoodOnes(t *testing.T) {
	broker := testbroker.Start(t)
	clip := needClip(t, "vtest_h264.mp4")
	good := startCam(t, camsim.Config{Clip: clip})
	locked := startCam(t, camsim.Config{Clip: clip, User: "admin", Password: "right-horse"})
	corrupt := startCam(t, camsim.Config{Clip: clip, CorruptRatio: 0.05})
	refused := "rtsp://" + freeAddr(t) + "/cam"
	wrongURL := strings.Replace(locked.URL(), "rtsp://", "rtsp://admin:wrong-battery@", 1)
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	listen := freeAddr(t)
	ra := startAgent(t, agentHead(broker.URL(), listen, t.TempDir(), "counts: {interval: 1s}")+fmt.Sprintf(`cameras:
  - {name: good, url: %q}
  - {name: refused, url: %q}
  - {name: locked, url: %q}
  - {name: corrupt, url: %q}
`, good.URL(), refused, wrongURL, corrupt.URL()), "")
	const prefix = "pantau/v1/s/a/"

	sub.WaitTopic(t, 30*time.Second, prefix+"good/status", `"online"`)
	sub.WaitTopic(t, 30*time.Second, prefix+"corrupt/status", `"online"`)
	sub.WaitTopic(t, 30*time.Second, prefix+"locked/status", `"auth_failed"`)
	st := payload(t, sub.WaitTopic(t, 30*time.Second, prefix+"refused/status", `"error"`))
	if st["state"] != "offline" || !strings.Contains(st["error"].(string), "refused") {
		t.Errorf("refused camera's status: %v, want offline with an error saying why", st)
	}
	// "online" comes with the first frame; a corrupted NAL unit may arrive a
	// little later, so wait for both counters rather than read them once.
	waitMetricAbove(t, listen, `pantau_decode_errors_total{camera="corrupt"}`, 0, 30*time.Second)
	waitMetricAbove(t, listen, `pantau_frames_analysed_total{camera="corrupt"}`, 0, 30*time.Second)

	noSecrets(t, sub.Messages(), ra.logs.String(), "wrong-battery", "right-horse")

	// Cut the good camera's stream: the agent reconnects and counting goes on.
	before := metric(t, listen, `pantau_reconnects_total{camera="good"}`)
	if err := good.DropClients(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for metric(t, listen, `pantau_reconnects_total{camera="good"}`) <= before {
		if time.Now().After(deadline) {
			t.Fatal("no reconnect counted after the stream was cut")
		}
		time.Sleep(200 * time.Millisecond)
	}
	analysed := metric(t, listen, `pantau_frames_analysed_total{camera="good"}`)
	waitMetricAbove(t, listen, `pantau_frames_analysed_total{camera="good"}`, analysed+5, 30*time.Second)
	sub.WaitTopic(t, 10*time.Second, prefix+"good/status", `"online"`)
}

// noSecrets fails when a password shows in any message or in the log.
func noSecrets(t *testing.T, msgs []testbroker.Message, logs string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		for _, m := range msgs {
			if strings.Contains(string(m.Payload), secret) {
				t.Errorf("%s leaks a password: %s", m.Topic, m.Payload)
			}
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log leaks a password (%q)", secret)
		}
	}
}

// waitMetricAbove polls /metrics until series exceeds v.
func waitMetricAbove(t *testing.T, listen, series string, v float64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := metric(t, listen, series)
		if got > v {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed at %v, want > %v within %v", series, got, v, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
