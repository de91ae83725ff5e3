package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/hub"
	"github.com/pantau/pantau/hub/config"
	"github.com/pantau/pantau/hub/internal/fixture"
)

// fleet is a central mosquitto, a site mosquitto bridged to it, and a
// running hub subscribed to the central one.
type fleet struct {
	central, site *testbroker.Broker
	pub           paho.Client
	base          string // the hub's http://host:port
	cancel        context.CancelFunc
	done          chan error
}

func startFleet(t *testing.T, hubYAML string) *fleet {
	t.Helper()
	f := &fleet{}
	f.central = testbroker.Start(t, testbroker.WithPersistence())
	f.startSite(t)
	f.startHub(t, fmt.Sprintf("mqtt:\n  url: %s\n  client_id: hub-test\nstore:\n  url: sqlite:%s\n%s",
		f.central.URL(), filepath.Join(t.TempDir(), "hub.db"), hubYAML))
	return f
}

// startSite starts a site broker bridged to the central one and connects
// the test's publisher (the agent) to it.
func (f *fleet) startSite(t *testing.T) {
	t.Helper()
	f.site = testbroker.Start(t, testbroker.WithPersistence(), testbroker.WithBridge(testbroker.Bridge{Name: "central", ClientID: "bridge-site",
		Address: f.central.Addr(), Topics: []string{"pantau/v1/# out 1"}}))
	opts := paho.NewClientOptions().AddBroker(f.site.URL()).SetClientID("test-agent")
	f.pub = paho.NewClient(opts)
	if tok := f.pub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect to the site broker: %v", tok.Error())
	}
	t.Cleanup(func() { f.pub.Disconnect(100) })
	// The bridge must be up before anything is published, or the site
	// broker (no subscriber yet) drops what it gets.
	waitFor(t, 10*time.Second, "the bridge", func() bool { return strings.Contains(f.central.Log(), "as bridge-site") })
}

// startHub runs a hub on the config yaml (plus an http listener) until
// stopHub or the end of the test.
func (f *fleet) startHub(t *testing.T, yaml string) {
	t.Helper()
	cfg, err := config.Parse([]byte("http:\n  listen: 127.0.0.1:0\n" + yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan error, 1)
	addr := make(chan string, 1)
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	go func() { f.done <- hub.Serve(ctx, cfg, log, hub.ServeOptions{Listening: func(a string) { addr <- a }}) }()
	select {
	case a := <-addr:
		f.base = "http://" + a
	case err := <-f.done:
		t.Fatalf("hub: %v", err)
	}
	t.Cleanup(f.stop)
	// Messages published before the hub's subscription exists on a fresh
	// broker go nowhere: wait for it (a real hub's session outlives it).
	waitFor(t, 10*time.Second, "the hub to subscribe", func() bool {
		return strings.Contains(string(f.get(t, "/metrics", nil)), "pantau_hub_connected 1\n")
	})
}

func (f *fleet) stop() {
	f.cancel()
	select {
	case err := <-f.done:
		if err != nil {
			panic(fmt.Sprintf("hub.Serve: %v", err))
		}
		f.done <- nil // a second stop returns at once
	case <-time.After(10 * time.Second):
		panic("hub.Serve did not return 10 s after cancel")
	}
}

func (f *fleet) send(t *testing.T, topic string, payload []byte) {
	t.Helper()
	tok := f.pub.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func (f *fleet) wire(t *testing.T, m event.Message, id string, seq uint64) {
	t.Helper()
	topic, b := fixture.Wire(m, id, seq)
	f.send(t, topic, b)
}

func (f *fleet) get(t *testing.T, path string, v any) []byte {
	t.Helper()
	resp, err := http.Get(f.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return b
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type camView struct {
	Site, Agent, Camera, State, Region string
	Received, Duplicates               int64
	Missing                            [][2]int64
	LastSeen                           time.Time `json:"last_seen"`
	LostSpool                          int64     `json:"lost_spool"`
}

func cameraByName(cams []camView, site, cam string) *camView {
	for i := range cams {
		if cams[i].Site == site && cams[i].Camera == cam {
			return &cams[i]
		}
	}
	return nil
}

// TestHubThroughBridge sends, through a site broker bridged to the
// central one, good messages with duplicates, gaps and late replays, bad
// messages of every kind and a flood from one site, and checks the hub's
// exact figures in the API and the metrics.
func TestHubThroughBridge(t *testing.T) {
	f := startFleet(t, `sites:
  - {name: s1, region: Kota Semarang, display_name: Simpang Lima, lat: -6.99, lon: 110.42}
limits:
  site_rate: 0.001
  site_burst: 50
  max_payload: 4096
`)
	now := time.Now().UTC().Truncate(10 * time.Second)
	iv := 10 * time.Second
	at := func(seq int) time.Time { return now.Add(time.Duration(seq-20) * iv) }
	ids := map[int]string{}
	for seq := 1; seq <= 10; seq++ {
		ids[seq] = event.NewID()
	}
	c1 := func(seq int) event.Message { return fixture.Counts("s1", "a1", "c1", at(seq), iv, seq, 1, 0) }
	f.wire(t, fixture.AgentStatus("s1", "a1", now, "online", 1), "", 0)
	f.wire(t, fixture.CameraStatus("s1", "a1", "c1", now, "online"), "", 0)
	for _, seq := range []int{1, 2, 3, 6, 7, 9, 10} {
		f.wire(t, c1(seq), ids[seq], uint64(seq))
	}
	f.wire(t, c1(2), ids[2], 2) // replays
	f.wire(t, c1(6), ids[6], 6)
	for seq := 1; seq <= 3; seq++ {
		f.wire(t, fixture.Counts("s2", "a9", "lobby", at(seq), iv, 1, 0, 0), "", uint64(seq))
	}
	// Bad input, one of each kind, all from site s1.
	good, _ := fixture.Wire(c1(11), "", 11)
	f.send(t, good, []byte(`{"schema": "pantau.counts/v1", "id": `))
	f.send(t, good, []byte(`{"schema": "pantau.counts/v1", "id": "x", "seq": 11}`))
	f.send(t, "pantau/v1/s1/a1/c1/weird", []byte(`{}`))
	_, future := fixture.Wire(fixture.Counts("s1", "a1", "c1", now.Add(48*time.Hour), iv, 1, 0, 0), "", 12)
	f.send(t, good, future)
	f.send(t, good, bytes.Repeat([]byte("x"), 5000))
	// A flood from one site: 80 messages, a burst of 50 allowed.
	for seq := 1; seq <= 80; seq++ {
		f.wire(t, fixture.Counts("flood", "f1", "cam", at(seq%20+1), iv, 1, 0, 0), "", uint64(seq))
	}
	var cams []camView
	waitFor(t, 20*time.Second, "the hub to store the first wave", func() bool {
		f.get(t, "/api/v1/cameras", &cams)
		c, fl := cameraByName(cams, "s1", "c1"), cameraByName(cams, "flood", "cam")
		ok := c != nil && c.Duplicates == 2 && fl != nil && fl.Received == 50
		if !ok {
			t.Logf("so far: %+v", cams)
		}
		return ok
	})
	c := cameraByName(cams, "s1", "c1")
	if c.Received != 7 || !reflect.DeepEqual(c.Missing, [][2]int64{{4, 5}, {8, 8}}) || c.State != "online" || c.Region != "Kota Semarang" {
		t.Errorf("c1 = %+v, want received 7, duplicates 2, missing [[4 5] [8 8]], online, Kota Semarang", c)
	}
	// The late messages arrive (a spool replay): the ranges close.
	f.wire(t, c1(4), ids[4], 4)
	f.wire(t, c1(8), ids[8], 8)
	waitFor(t, 10*time.Second, "the late messages", func() bool {
		f.get(t, "/api/v1/cameras", &cams)
		return cameraByName(cams, "s1", "c1").Received == 9
	})
	c = cameraByName(cams, "s1", "c1")
	if !reflect.DeepEqual(c.Missing, [][2]int64{{5, 5}}) || c.Duplicates != 2 {
		t.Errorf("after the replay c1 = %+v, want missing [[5 5]], duplicates 2", c)
	}
	if s2 := cameraByName(cams, "s2", "lobby"); s2 == nil || s2.Received != 3 || s2.Region != config.Unassigned || len(s2.Missing) != 0 {
		t.Errorf("s2/lobby = %+v, want 3 received in region unassigned", s2)
	}
	var sites struct {
		Sites []struct {
			Name, Region string
			Listed       bool
			DisplayName  string `json:"display_name"`
		}
	}
	f.get(t, "/api/v1/sites", &sites)
	got := fmt.Sprint(sites.Sites)
	want := "[{s1 Kota Semarang true Simpang Lima} {flood unassigned false flood} {s2 unassigned false s2}]"
	if got != want {
		t.Errorf("sites = %s, want %s", got, want)
	}
	// Person crossings in of c1: seqs 1..10 but 5, each seq counting seq.
	var counts struct {
		Series []struct {
			Site, Camera, Rule, Kind, Class string
			Points                          []map[string]any
		}
	}
	from := now.Add(-30 * iv).Format(time.RFC3339)
	f.get(t, "/api/v1/counts?site=s1&camera=c1&rule=gate&step=1d&from="+from, &counts)
	var personIn float64
	for _, s := range counts.Series {
		if s.Class == "person" {
			for _, p := range s.Points {
				personIn += p["in"].(float64)
			}
		}
	}
	if personIn != 55-5 {
		t.Errorf("person in = %v, want 50 (%+v)", personIn, counts)
	}
	csv := string(f.get(t, "/api/v1/counts?site=s1&rule=yard&step=1d&format=csv&from="+from, nil))
	if !strings.HasPrefix(csv, "time,site,camera,rule,kind,class,in_or_entries,out_or_exits\n") || !strings.Contains(csv, ",s1,c1,yard,zone,person,50,0\n") {
		t.Errorf("csv:\n%s", csv)
	}
	// The store-derived gauges are read at most every 5 s: wait for a
	// fresh reading.
	var metrics string
	waitFor(t, 15*time.Second, "fresh store gauges", func() bool {
		metrics = string(f.get(t, "/metrics", nil))
		return strings.Contains(metrics, `pantau_hub_missing_seq{agent="a1",camera="c1",site="s1"} 1`+"\n")
	})
	for _, line := range []string{
		`pantau_hub_invalid_total{reason="json",site="s1"} 1`,
		`pantau_hub_invalid_total{reason="schema",site="s1"} 1`,
		`pantau_hub_invalid_total{reason="topic",site="s1"} 1`,
		`pantau_hub_invalid_total{reason="future_ts",site="s1"} 1`,
		`pantau_hub_invalid_total{reason="too_large",site="s1"} 1`,
		`pantau_hub_invalid_total{reason="rate_limited",site="flood"} 30`,
		`pantau_hub_duplicates_total{site="s1"} 2`,
		`pantau_hub_messages_total{schema="pantau.counts/v1",site="s1"} 11`,
		`pantau_hub_missing_seq{agent="a1",camera="c1",site="s1"} 1`,
		`pantau_hub_counts_today{class="person",direction="in",rule="gate",site="s2"} 3`,
	} {
		if !strings.Contains(metrics, line+"\n") && !(strings.Contains(line, "counts_today") && now.Add(-20*iv).Day() != now.Day()) {
			t.Errorf("metrics lack %s", line)
		}
	}
	promtoolCheck(t, metrics)
}

func promtoolCheck(t *testing.T, metrics string) {
	t.Helper()
	bin, err := filepath.Abs("../.tools/bin/promtool")
	if _, serr := os.Stat(bin); err != nil || serr != nil {
		if bin, err = exec.LookPath("promtool"); err != nil {
			t.Fatal("promtool not found in .tools/bin or PATH: run scripts/setup.sh")
		}
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(metrics)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
