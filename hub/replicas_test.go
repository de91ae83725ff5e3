package hub_test

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/hub/internal/fixture"
	"github.com/pantau/pantau/hub/internal/pgtest"
)

var countsRE = regexp.MustCompile(`pantau_hub_messages_total\{schema="pantau.counts/v1",site="rep"\} (\d+)`)

// TestReplicasShareOnPostgres runs two hubs on one real PostgreSQL that
// split one shared subscription ($share/hubs/pantau/v1/#): each message is
// handled by one of them, and together they store all, each once.
func TestReplicasShareOnPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	central := testbroker.Start(t, testbroker.WithPersistence())
	hubs := []*fleet{{central: central}, {central: central}}
	for i, f := range hubs {
		f.startHub(t, fmt.Sprintf("mqtt:\n  url: %s\n  client_id: hub-%d\nsubscribe:\n  share: hubs\nstore:\n  url: %s\n", central.URL(), i, pg))
	}
	for _, f := range hubs {
		waitFor(t, 10*time.Second, "the hubs to connect", func() bool {
			return regexp.MustCompile(`pantau_hub_connected 1\n`).Match(f.get(t, "/metrics", nil))
		})
	}
	time.Sleep(300 * time.Millisecond) // the SUBACK follows the CONNACK
	agent := paho.NewClient(paho.NewClientOptions().AddBroker(central.URL()).SetClientID("agent"))
	if tok := agent.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer agent.Disconnect(100)
	hubs[0].pub = agent
	now := time.Now().UTC()
	const perCam = 100
	for seq := 1; seq <= perCam; seq++ {
		for _, cam := range []string{"c1", "c2", "c3"} {
			hubs[0].wire(t, fixture.Counts("rep", "a1", cam, now.Add(time.Duration(seq-perCam)*10*time.Second), 10*time.Second, 1, 0, 0), event.NewID(), uint64(seq))
		}
	}
	var cams []camView
	waitFor(t, 30*time.Second, "300 messages stored", func() bool {
		hubs[1].get(t, "/api/v1/cameras", &cams)
		var n int64
		for _, c := range cams {
			n += c.Received
		}
		return n == 3*perCam
	})
	for _, c := range cams {
		if c.Received != perCam || c.Duplicates != 0 || len(c.Missing) != 0 {
			t.Errorf("%s: %+v, want %d received, none duplicate or missing", c.Camera, c, perCam)
		}
	}
	var each []int
	for _, f := range hubs {
		m := countsRE.FindSubmatch(f.get(t, "/metrics", nil))
		n := 0
		if m != nil {
			n, _ = strconv.Atoi(string(m[1]))
		}
		each = append(each, n)
	}
	if each[0]+each[1] != 3*perCam || each[0] == 0 || each[1] == 0 {
		t.Errorf("messages per replica %v: want both > 0, together %d", each, 3*perCam)
	}
}
