package event

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testbroker"
)

// docConf returns the ```conf block of docs/mqtt.md (the site bridge).
func docConf(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```conf\n")
	conf, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/mqtt.md has no ```conf bridge example")
	}
	return conf
}

// TestDocBridgeSnippet runs the fleet topology of docs/mqtt.md with two real
// mosquitto brokers: a site broker configured with the doc's bridge section
// (only addresses and certificate paths replaced) and a central broker that
// requires TLS client certificates. Every example message published on the
// site arrives once on the central broker, valid, with retained flags kept;
// a command published centrally reaches the site once and is not echoed.
func TestDocBridgeSnippet(t *testing.T) {
	certs := testbroker.NewCerts(t)
	central := testbroker.Start(t, certs.BrokerTLS(true))
	conf := strings.NewReplacer(
		"central.example.net:8883", strings.TrimPrefix(central.TLSURL(), "ssl://"),
		"/etc/mosquitto/certs/central-ca.pem", certs.CAFile,
		"/etc/mosquitto/certs/plant-3.pem", certs.ClientCert,
		"/etc/mosquitto/certs/plant-3.key", certs.ClientKey,
	).Replace(docConf(t))
	site := testbroker.Start(t, testbroker.WithConfig(conf))

	atCentral := testbroker.Subscribe(t, central.TLSURL(), "pantau/v1/#", testbroker.WithSubTLS(certs.ClientTLS(t)))
	atSite := testbroker.Subscribe(t, site.URL(), "pantau/v1/#")

	// The bridge connects in the background: probe until it carries.
	probe := Topic("plant-3", "box-1", "probe")
	deadline := time.Now().Add(15 * time.Second)
	for len(atCentral.On(probe)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("bridge never carried a message; site log:\n%s", site.Log())
		}
		atSite.Publish(t, probe, []byte("{}"), false)
		time.Sleep(200 * time.Millisecond)
	}
	atCentral.Reset()
	atSite.Reset()

	ex := stamped()
	for _, e := range ex {
		b, _ := json.Marshal(e.msg.Body)
		atSite.Publish(t, Topic("plant-3", "box-1", e.msg.Subtopic), b, e.msg.Retained)
	}
	cmd := Topic("plant-3", "box-1", "cmd/status")
	atCentral.Publish(t, cmd, []byte(`{"request_id":"bridge-1"}`), false)
	// A last message from the site: once it is central, anything echoed
	// before it would be too (one bridge connection keeps order).
	last := Topic("plant-3", "box-1", "cmd/status/result")
	res := NewCommandResult("plant-3", "box-1", CmdStatus, "bridge-1", exampleTime, map[string]int{"cameras": 1}, nil)
	resBody, _ := json.Marshal(res.Body)
	atSite.WaitTopic(t, 10*time.Second, cmd, "bridge-1")
	atSite.Publish(t, last, resBody, false)
	got := atCentral.Wait(t, 10*time.Second, "every example and the result at central", func(ms []testbroker.Message) bool {
		return len(ms) > 0 && ms[len(ms)-1].Topic == last
	})

	if n := len(atCentral.On(cmd)); n != 1 {
		t.Errorf("central saw the command %d times, want once (no echo)", n)
	}
	if n := len(atSite.On(cmd)); n != 1 {
		t.Errorf("site saw the command %d times, want once", n)
	}
	count := map[string]int{}
	for _, m := range got {
		count[m.Topic]++
		if err := Validate(m.Topic, m.Payload); err != nil && m.Topic != cmd {
			t.Errorf("%s at central: %v", m.Topic, err)
		}
	}
	for _, e := range ex {
		topic := Topic("plant-3", "box-1", e.msg.Subtopic)
		if count[topic] != 1 {
			t.Errorf("%s arrived %d times at central, want once", topic, count[topic])
		}
	}
	// Retained statuses are retained on the central broker too.
	late := testbroker.Subscribe(t, central.TLSURL(), "pantau/v1/plant-3/box-1/status", testbroker.WithSubTLS(certs.ClientTLS(t)))
	m := late.WaitTopic(t, 5*time.Second, "pantau/v1/plant-3/box-1/status", `"online"`)
	if !m.Retained {
		t.Errorf("agent status at central is not retained: %+v", m)
	}
	if t.Failed() {
		t.Logf("site broker log:\n%s", site.Log())
	}
}
