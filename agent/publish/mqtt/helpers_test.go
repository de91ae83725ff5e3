package mqtt

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
)

const (
	testSite  = "test-site"
	testAgent = "box-1"
)

var prefix = event.TopicPrefix + "/" + testSite + "/" + testAgent + "/"

// testConfig is a client config for broker url with fast reconnects.
func testConfig(url, spoolDir string) Config {
	return Config{
		URL:            url,
		Site:           testSite,
		Agent:          testAgent,
		Spool:          SpoolConfig{Dir: spoolDir},
		ReconnectMin:   100 * time.Millisecond,
		ReconnectMax:   500 * time.Millisecond,
		ConnectTimeout: 2 * time.Second,
		PublishTimeout: 3 * time.Second,
		Keepalive:      5 * time.Second,
	}
}

// runClient creates a client and runs it until the test ends; it returns
// the client and its log.
func runClient(t testing.TB, cfg Config, m Metrics) (*Client, *testbroker.LogBuffer, context.CancelFunc) {
	t.Helper()
	logs := &testbroker.LogBuffer{}
	c, err := New(cfg, m, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return within 15 s of cancel")
		}
	})
	t.Cleanup(stop)
	return c, logs, stop
}

func waitConnected(t testing.TB, c *Client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !c.Connected() {
		if time.Now().After(deadline) {
			t.Fatalf("client not connected after 10 s: %v", c.LastError())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSpoolDrained waits until the spool holds nothing. A subscriber can
// have a message before the broker's PUBACK reaches the client and the
// spool records the ack, so "delivered" is checked with a deadline.
func waitSpoolDrained(t testing.TB, c *Client, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, _, _ := c.SpoolStats()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages left in the spool %v after delivery", n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// motion is the i-th motion event of camera.
func motion(camera string, i int) event.Message {
	m, err := event.NewEvent(testSite, testAgent, camera, event.Fields{Type: event.TypeMotion, Time: time.Now(), State: "start", Area: float64(i%1000) / 1000})
	if err != nil {
		panic(err) // a known type
	}
	return m
}

// received is the envelope of a message a subscriber got.
type received struct {
	event.Header
	State string `json:"state"`
	Will  bool   `json:"will"`
	Topic string `json:"-"`
}

func decode(t testing.TB, m testbroker.Message) received {
	t.Helper()
	var r received
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		t.Fatalf("%s: %v: %s", m.Topic, err, m.Payload)
	}
	r.Topic = m.Topic
	return r
}

// checkDelivery asserts that msgs hold, after dedupe by id, exactly
// want[camera] events per camera with seq first..first+n-1 in order, and
// that every payload is valid against its schema. It returns how many
// duplicates it dropped.
func checkDelivery(t testing.TB, msgs []testbroker.Message, first map[string]uint64, want map[string]int) int {
	t.Helper()
	seen := map[string]bool{}
	next := map[string]uint64{}
	for c, f := range first {
		next[c] = f
	}
	got := map[string]int{}
	dups := 0
	for _, m := range msgs {
		if !strings.Contains(m.Topic, "/event/") {
			continue
		}
		r := decode(t, m)
		if seen[r.ID] {
			dups++
			continue
		}
		seen[r.ID] = true
		if err := event.Validate(m.Topic, m.Payload); err != nil {
			t.Fatalf("invalid payload on %s: %v", m.Topic, err)
		}
		if r.Seq != next[r.Camera] {
			t.Fatalf("camera %s: got seq %d, want %d (a gap or reorder)", r.Camera, r.Seq, next[r.Camera])
		}
		next[r.Camera]++
		got[r.Camera]++
	}
	for c, n := range want {
		if got[c] != n {
			t.Fatalf("camera %s: %d distinct events delivered, want %d", c, got[c], n)
		}
	}
	return dups
}

// checkComplete is checkDelivery for a path whose brokers may reorder
// (a bridge across broker restarts): every seq first..first+n-1 of each
// camera arrived, none twice after dedupe, nothing else. It returns the
// duplicates and how many events arrived after a higher seq of their camera.
func checkComplete(t testing.TB, msgs []testbroker.Message, first map[string]uint64, want map[string]int) (dups, reordered int) {
	t.Helper()
	seen := map[string]bool{}
	seqs := map[string]map[uint64]bool{}
	high := map[string]uint64{}
	for _, m := range msgs {
		if !strings.Contains(m.Topic, "/event/") {
			continue
		}
		r := decode(t, m)
		if seen[r.ID] {
			dups++
			continue
		}
		seen[r.ID] = true
		if seqs[r.Camera] == nil {
			seqs[r.Camera] = map[uint64]bool{}
		}
		if seqs[r.Camera][r.Seq] {
			t.Fatalf("camera %s: two different ids with seq %d", r.Camera, r.Seq)
		}
		seqs[r.Camera][r.Seq] = true
		if r.Seq < high[r.Camera] {
			reordered++
		}
		high[r.Camera] = max(high[r.Camera], r.Seq)
	}
	for c, n := range want {
		for q := first[c]; q < first[c]+uint64(n); q++ {
			if !seqs[c][q] {
				t.Fatalf("camera %s: seq %d never arrived", c, q)
			}
		}
		if len(seqs[c]) != n {
			t.Fatalf("camera %s: %d distinct events, want %d", c, len(seqs[c]), n)
		}
	}
	return dups, reordered
}

// eventsDone is a Wait condition: n distinct event ids received.
func eventsDone(n int) func([]testbroker.Message) bool {
	return func(ms []testbroker.Message) bool {
		ids := map[string]bool{}
		for _, m := range ms {
			if strings.Contains(m.Topic, "/event/") {
				var h event.Header
				if json.Unmarshal(m.Payload, &h) == nil {
					ids[h.ID] = true
				}
			}
		}
		return len(ids) >= n
	}
}

// The agent subprocess: the test binary run again with helperEnv set runs
// a client (config from the environment), publishes PANTAU_HELPER_EVENTS
// motion events of cam1, prints "ready" once they are all accepted, and
// runs until killed.
const helperEnv = "PANTAU_MQTT_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

func helperMain() int {
	cfg := testConfig(os.Getenv("PANTAU_HELPER_URL"), os.Getenv("PANTAU_HELPER_SPOOL"))
	c, err := New(cfg, nil, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go c.Run(context.Background())
	n, _ := strconv.Atoi(os.Getenv("PANTAU_HELPER_EVENTS"))
	for i := 0; i < n; i++ {
		if err := c.Publish(context.Background(), motion("cam1", i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	if os.Getenv("PANTAU_HELPER_WAIT_CONNECTED") == "1" {
		for !c.Connected() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	fmt.Println("ready")
	select {}
}

// agentProcess runs the helper and returns once it printed "ready".
func agentProcess(t *testing.T, url, spoolDir string, events int, waitConnected bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1",
		"PANTAU_HELPER_URL="+url, "PANTAU_HELPER_SPOOL="+spoolDir,
		"PANTAU_HELPER_EVENTS="+strconv.Itoa(events))
	if waitConnected {
		cmd.Env = append(cmd.Env, "PANTAU_HELPER_WAIT_CONNECTED=1")
	}
	stderr := &testbroker.LogBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
				break
			}
		}
		ready <- false
		io.Copy(io.Discard, out)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("agent process ended before ready:\n%s", stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("agent process not ready after 20 s:\n%s", stderr.String())
	}
	return cmd
}

// kill9 kills the agent process like a power cut of the process would.
func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}
