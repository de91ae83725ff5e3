package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// brokerOutage is how long the broker is away here. The 30 s
// outage is exercised in agent/publish/mqtt (TestBrokerOutageLosesNothing)
// with a synthetic producer; this test runs the whole chain — a real camera,
// the pipeline, the aggregator, the spool — for a shorter outage that
// still spans several counts intervals, reconnect attempts and events.
const brokerOutage = 10 * time.Second

// TestBrokerOutageEndToEnd: while the broker is stopped the camera keeps
// producing events and counts; after the restart the command centre (a
// persistent subscriber) gets every spooled message exactly once after
// dedupe by id, in seq order, with no seq missing.
func TestBrokerOutageEndToEnd(t *testing.T) {
	broker := testbroker.Start(t, testbroker.WithPersistence())
	cam := startCam(t, camsim.Config{Clip: needClip(t, "vtest_h264.mp4")})
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/s/a/cam1/#", testbroker.Persistent("command-centre"))
	listen := freeAddr(t)
	ra := startAgent(t, agentHead(broker.URL(), listen, t.TempDir(), "counts: {interval: 1s}")+fmt.Sprintf(`cameras:
  - name: cam1
    url: %q
    lines: [{name: mid, points: [[0.5, 0.1], [0.5, 0.95]]}]
    zones: [{name: plaza, points: [[0.1, 0.4], [0.9, 0.4], [0.9, 0.9], [0.1, 0.9]]}]
`, cam.URL()), "")
	const prefix = "pantau/v1/s/a/cam1/"
	sub.WaitTopic(t, 30*time.Second, prefix+"counts", `"frames_analysed"`)

	broker.Stop()
	time.Sleep(brokerOutage)
	if v := metric(t, listen, "pantau_spool_messages"); v <= 0 {
		t.Errorf("nothing spooled during the outage (pantau_spool_messages %v)", v)
	}
	broker.Start()
	// Wait until the spool is empty again and a fresh interval arrived.
	deadline := time.Now().Add(90 * time.Second)
	for metric(t, listen, "pantau_spool_messages") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("spool not drained within 90 s of the broker's return")
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	ra.stop(t)

	seen := map[string]bool{}
	var seqs []int
	for _, m := range sub.Messages() {
		rest := strings.TrimPrefix(m.Topic, prefix)
		if rest != "counts" && !strings.HasPrefix(rest, "event/") {
			continue
		}
		var h struct {
			ID  string `json:"id"`
			Seq int    `json:"seq"`
		}
		if err := json.Unmarshal(m.Payload, &h); err != nil {
			t.Fatal(err)
		}
		if seen[h.ID] {
			continue // a replay after a lost PUBACK: same id, dropped
		}
		seen[h.ID] = true
		seqs = append(seqs, h.Seq)
	}
	if len(seqs) < 20 {
		t.Fatalf("only %d spooled messages arrived", len(seqs))
	}
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("message %d has seq %d: missing or out of order (seqs %v)", i, s, seqs)
		}
	}
	t.Logf("%d messages, seq 1..%d, none missing", len(seqs), len(seqs))
}
