package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// TestEndToEnd runs the whole chain with real parts: a mosquitto broker,
// RTSP camera simulators (gortsplib) serving the H.264 and H.265 transcodes
// of vtest (people walking) and a still scene, and the agent pulling them.
// A subscriber checks topics, retained statuses, payload fields and schemas;
// the walking scenes must give motion events, the still scene none.
func TestEndToEnd(t *testing.T) {
	broker := testbroker.Start(t)
	walk264 := startCam(t, camsim.Config{Clip: needClip(t, "vtest_h264.mp4")})
	walk265 := startCam(t, camsim.Config{Clip: needClip(t, "vtest_h265.mp4")})
	still := startCam(t, camsim.Config{Clip: needClip(t, "still_h264.mp4")})
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	listen := freeAddr(t)
	ra := startAgent(t, fmt.Sprintf(`
site: test-site
agent: box-1
mqtt: {url: %q}
http: {listen: %q}
spool: {dir: %q}
counts: {interval: 2s}
cameras:
  - {name: walk264, url: %q}
  - {name: walk265, url: %q}
  - {name: still, url: %q}
`, broker.URL(), listen, t.TempDir(), walk264.URL(), walk265.URL(), still.URL()), "")

	const prefix = "pantau/v1/test-site/box-1/"
	st := payload(t, sub.WaitTopic(t, 20*time.Second, prefix+"status", `"online"`))
	if st["schema"] == nil || st["id"] == nil {
		t.Errorf("agent status lacks schema or id: %v", st)
	}
	for _, cam := range []string{"walk264", "walk265", "still"} {
		sub.WaitTopic(t, 30*time.Second, prefix+cam+"/status", `"online"`)
	}
	// A subscriber arriving now gets the statuses from the broker's store.
	late := testbroker.Subscribe(t, broker.URL(), prefix+"+/status")
	for _, cam := range []string{"walk264", "walk265", "still"} {
		if m := late.WaitTopic(t, 10*time.Second, prefix+cam+"/status", ""); !m.Retained {
			t.Errorf("%s status not retained", cam)
		}
	}
	for _, cam := range []string{"walk264", "walk265"} {
		ev := payload(t, sub.WaitTopic(t, 40*time.Second, prefix+cam+"/event/motion", `"start"`))
		if ev["seq"] == nil || ev["ts"] == nil || ev["camera"] != cam {
			t.Errorf("%s motion event lacks seq/ts/camera: %v", cam, ev)
		}
	}
	// Two closed intervals of the still scene: frames analysed, no motion.
	sub.Wait(t, 30*time.Second, "two counts intervals of the still camera", func(ms []testbroker.Message) bool {
		n := 0
		for _, m := range ms {
			if m.Topic == prefix+"still/counts" && !strings.Contains(string(m.Payload), `"frames_analysed":0`) {
				n++
			}
		}
		return n >= 2
	})
	for _, m := range sub.On(prefix + "still/counts") {
		c := payload(t, m)
		if ms, _ := c["motion_s"].(float64); ms != 0 {
			t.Errorf("still scene counted %v s of motion: %s", ms, m.Payload)
		}
	}
	if n := len(sub.On(prefix + "still/event/motion")); n != 0 {
		t.Errorf("still scene raised %d motion events", n)
	}
	for _, cam := range []string{"walk264", "walk265", "still"} {
		series := fmt.Sprintf(`pantau_frames_decoded_total{camera=%q}`, cam)
		if v := metric(t, listen, series); v <= 0 {
			t.Errorf("%s = %v, want > 0", series, v)
		}
	}
	// Per-camera seq counts every spooled message from 1 upward by one.
	checkSeq(t, sub.Messages(), prefix+"walk264/")
	validateAll(t, prefix, sub.Messages())

	ra.stop(t)
	sub.WaitTopic(t, 10*time.Second, prefix+"status", `"offline"`)
}

// checkSeq checks that the spooled messages (events and counts) of one
// camera carry seq 1, 2, 3, … in the order received.
func checkSeq(t *testing.T, msgs []testbroker.Message, camPrefix string) {
	t.Helper()
	var want float64 = 1
	for _, m := range msgs {
		if !strings.HasPrefix(m.Topic, camPrefix) {
			continue
		}
		rest := strings.TrimPrefix(m.Topic, camPrefix)
		if rest != "counts" && !strings.HasPrefix(rest, "event/") {
			continue
		}
		p := payload(t, m)
		seq, _ := p["seq"].(float64)
		if seq != want {
			t.Errorf("%s: seq %v, want %v", m.Topic, seq, want)
			return
		}
		want++
	}
	if want == 1 {
		t.Errorf("no spooled messages under %s", camPrefix)
	}
}
