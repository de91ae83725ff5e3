package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

// TestDiscoveryProvisionsCameras runs, in a network namespace of its own
// (loopback made multicast-capable, so no probe leaves the test), three
// simulated ONVIF cameras found by WS-Discovery multicast: a plain one, one
// advertising 0.0.0.0 in its XAddrs and needing the default credentials,
// and one whose password differs from the configured one. The agent must
// run pipelines for the first two, publishing manufacturer, model, serial
// and profile in their retained status, and report the third as
// auth_failed. A camera that disappears goes offline after two missed
// rounds and resumes when it comes back.
func TestDiscoveryProvisionsCameras(t *testing.T) {
	if !onvifsim.InNetns() {
		onvifsim.ReexecInNetns(t, "TestDiscoveryProvisionsCameras")
		return
	}
	broker := testbroker.Start(t)
	clip := needClip(t, "vtest_h264.mp4")
	sims := []onvifsim.Config{
		{Manufacturer: "Acme", Model: "A1", Serial: "AAA111"},
		{Manufacturer: "Bolt", Model: "B2", Serial: "BBB222", AdvertiseXAddr: "0.0.0.0", User: "admin", Password: "secret"},
		{Manufacturer: "Core", Model: "C3", Serial: "CCC333", User: "admin", Password: "someone-changed-it"},
	}
	start := func(i int, uuid string) *onvifsim.Server {
		cfg := sims[i]
		ip := fmt.Sprintf("127.0.0.%d", i+2)
		// Each camera streams from its own address, as real ones do (the
		// agent corrects stream URIs to the address that answered).
		stream, err := camsim.New(camsim.Config{Clip: clip, Addr: ip + ":0"})
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stream.Close)
		cfg.Addr, cfg.DiscoveryAddr, cfg.RTSPURL, cfg.UUID = ip+":0", ip, stream.URL(), uuid
		s, err := onvifsim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = s.Run(t.Context()) }()
		t.Cleanup(s.Close)
		return s
	}
	var running []*onvifsim.Server
	for i := range sims {
		running = append(running, start(i, ""))
	}
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	startAgent(t, agentHead(broker.URL(), "127.0.0.1:0", t.TempDir())+`discovery:
  enabled: true
  interval: 2s
  timeout: 1s
  interfaces: [lo]
  default_credentials: {username: admin, password: secret}
`, "")
	const prefix = "pantau/v1/s/a/"

	a1 := payload(t, sub.WaitTopic(t, 40*time.Second, prefix+"a1-aaa111/status", `"online"`))
	for k, want := range map[string]string{"manufacturer": "Acme", "model": "A1", "serial": "AAA111", "source": "discovery", "profile": "main"} {
		if a1[k] != want {
			t.Errorf("a1 status %s = %v, want %q (status %v)", k, a1[k], want, a1)
		}
	}
	sub.WaitTopic(t, 40*time.Second, prefix+"b2-bbb222/status", `"online"`)
	// The third camera refuses every call, so its model and serial are
	// unknown: it is named after its WS-Discovery UUID.
	ms := sub.Wait(t, 40*time.Second, "an auth_failed camera status", func(ms []testbroker.Message) bool {
		for _, m := range ms {
			if strings.HasSuffix(m.Topic, "/status") && strings.Contains(string(m.Payload), `"auth_failed"`) {
				return true
			}
		}
		return false
	})
	var failed []string
	for _, m := range ms {
		if strings.HasSuffix(m.Topic, "/status") && strings.Contains(string(m.Payload), `"auth_failed"`) {
			failed = append(failed, m.Topic)
			if p := payload(t, m); !strings.Contains(fmt.Sprint(p["error"]), "credentials") {
				t.Errorf("auth_failed status does not say why: %v", p)
			}
		}
	}
	for _, topic := range failed {
		if strings.Contains(topic, "a1-") || strings.Contains(topic, "b2-") {
			t.Errorf("a camera with the right credentials reported auth_failed: %s", topic)
		}
	}
	noSecrets(t, sub.Messages(), "", "secret", "someone-changed-it")

	// A1 disappears: offline after two rounds without it; back: online.
	uuid := running[0].UUID()
	running[0].Close()
	sub.WaitTopic(t, 30*time.Second, prefix+"a1-aaa111/status", "no longer found")
	sub.Reset()
	start(0, uuid)
	sub.WaitTopic(t, 40*time.Second, prefix+"a1-aaa111/status", `"online"`)
}
