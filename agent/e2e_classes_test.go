package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// TestEndToEndPersonCrossings runs the default camera (no detector
// configured, one line across the busy middle of the plaza) on vtest
// through a real mosquitto and the RTSP simulator: the shared detector
// pool with the COCO SSD must name the walkers "person" in line_cross
// events and counts, never "object", and say so in its metrics.
func TestEndToEndPersonCrossings(t *testing.T) {
	broker := testbroker.Start(t)
	cam := startCam(t, camsim.Config{Clip: needClip(t, "vtest_h264.mp4")})
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	listen := freeAddr(t)
	ra := startAgent(t, fmt.Sprintf(`
site: test-site
agent: box-1
mqtt: {url: %q}
http: {listen: %q}
spool: {dir: %q}
counts: {interval: 5s}
cameras:
  - name: plaza
    url: %q
    lines:
      - {name: mid, points: [[0.5, 0.2], [0.5, 0.9]]}
`, broker.URL(), listen, t.TempDir(), cam.URL()), "")

	const prefix = "pantau/v1/test-site/box-1/"
	ev := payload(t, sub.WaitTopic(t, 60*time.Second, prefix+"plaza/event/line_cross", `"mid"`))
	if ev["class"] != "person" {
		t.Errorf("line_cross class %v, want person: %v", ev["class"], ev)
	}
	sub.Wait(t, 30*time.Second, "a counts message with a person crossing", func(ms []testbroker.Message) bool {
		for _, m := range ms {
			if m.Topic == prefix+"plaza/counts" && strings.Contains(string(m.Payload), `"person":`) {
				return true
			}
		}
		return false
	})
	for _, m := range sub.Messages() {
		if strings.HasPrefix(m.Topic, prefix+"plaza/") && strings.Contains(string(m.Payload), `"object"`) {
			t.Errorf("%s names the class object: %s", m.Topic, m.Payload)
		}
	}
	if v := metric(t, listen, `pantau_detector_detections_total{class="person"}`); v <= 0 {
		t.Errorf("pantau_detector_detections_total{class=\"person\"} = %v, want > 0", v)
	}
	if v := metric(t, listen, `pantau_detector_inference_seconds_count`); v <= 0 {
		t.Errorf("pantau_detector_inference_seconds_count = %v, want > 0", v)
	}
	if v := metric(t, listen, `pantau_detector_workers`); v != 1 {
		t.Errorf("pantau_detector_workers = %v, want 1 (the default)", v)
	}
	validateAll(t, prefix, sub.Messages())
	ra.stop(t)
}
