package hub_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/hub/internal/fixture"
)

// TestSessionSurvivesHubRestart: the hub logs in over TLS with a password;
// messages sent while it is down wait in its persistent session on the
// central broker and are stored once when it is back; a central broker
// restart mid-way loses nothing either.
func TestSessionSurvivesHubRestart(t *testing.T) {
	dir := t.TempDir()
	certs := testbroker.NewCerts(t)
	central := testbroker.Start(t, testbroker.WithPersistence(), certs.BrokerTLS(false),
		testbroker.WithPasswords(map[string]string{"hub": "hub-secret", "agent": "agent-secret"}))
	pwFile := filepath.Join(dir, "hub-password")
	os.WriteFile(pwFile, []byte("hub-secret\n"), 0o600)
	f := &fleet{central: central}
	hubYAML := fmt.Sprintf("mqtt:\n  url: %s\n  client_id: hub-tls\n  username: hub\n  password_file: %s\n  tls:\n    ca_file: %s\nstore:\n  url: sqlite:%s\n",
		central.TLSURL(), pwFile, certs.CAFile, filepath.Join(dir, "hub.db"))
	f.startHub(t, hubYAML)
	agent := paho.NewClient(paho.NewClientOptions().AddBroker(central.URL()).SetClientID("agent").
		SetUsername("agent").SetPassword("agent-secret").SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond))
	if tok := agent.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("agent connect: %v", tok.Error())
	}
	defer agent.Disconnect(100)
	f.pub = agent
	now := time.Now().UTC()
	send := func(from, to int) {
		for seq := from; seq <= to; seq++ {
			f.wire(t, fixture.Counts("tls", "a1", "c1", now.Add(time.Duration(seq-40)*10*time.Second), 10*time.Second, 1, 0, 0), event.NewID(), uint64(seq))
		}
	}
	var cams []camView
	received := func(n int64) func() bool {
		return func() bool {
			f.get(t, "/api/v1/cameras", &cams)
			c := cameraByName(cams, "tls", "c1")
			return c != nil && c.Received == n
		}
	}
	// Wait until the hub's session (and its subscription) exists.
	waitFor(t, 10*time.Second, "the hub to connect", func() bool {
		return strings.Contains(string(f.get(t, "/metrics", nil)), "pantau_hub_connected 1\n")
	})
	time.Sleep(300 * time.Millisecond) // the SUBACK follows the CONNACK
	send(1, 5)
	waitFor(t, 10*time.Second, "5 messages", received(5))
	f.stop()
	send(6, 10) // queued in the hub's session
	central.Stop()
	central.Start()
	waitFor(t, 10*time.Second, "the agent to reconnect", agent.IsConnected)
	send(11, 15)
	f.startHub(t, hubYAML)
	waitFor(t, 20*time.Second, "15 messages after the restarts", received(15))
	c := cameraByName(cams, "tls", "c1")
	if c.Duplicates != 0 || len(c.Missing) != 0 {
		t.Errorf("camera %+v: want 15 received, no duplicate, nothing missing", c)
	}
}
