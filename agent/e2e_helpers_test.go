package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
)

const clipDir = "../testdata/clips/"

// needClip fails the test with the set-up step when a test clip is missing.
func needClip(t *testing.T, name string) string {
	t.Helper()
	p := clipDir + name
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test clip %s missing: run scripts/setup.sh (make test does): %v", p, err)
	}
	return p
}

// startCam starts a camera simulator on a free loopback port.
func startCam(t *testing.T, cfg camsim.Config) *camsim.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := camsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// agentHead is the start of the config the e2e tests give the agent: site
// s, agent a, the test broker, the HTTP listen address and a spool
// directory, then each extra top-level line (counts, defaults…) as given.
// The caller appends its cameras.
func agentHead(brokerURL, listen, spool string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "site: s\nagent: a\nmqtt: {url: %q}\nhttp: {listen: %q}\nspool: {dir: %q}\n", brokerURL, listen, spool)
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// runningAgent is an agent under test.
type runningAgent struct {
	*Agent
	cfg    *config.Config
	cancel context.CancelFunc
	done   chan error
	logs   *testbroker.LogBuffer
	once   sync.Once
}

// startAgent runs an agent on the YAML config text until the test ends.
func startAgent(t *testing.T, yaml, path string) *runningAgent {
	t.Helper()
	return startAgentWith(t, yaml, path, nil)
}

// startAgentWith is startAgent with prepare called on the agent before it
// runs (nil: nothing).
func startAgentWith(t *testing.T, yaml, path string, prepare func(*Agent)) *runningAgent {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	logs := &testbroker.LogBuffer{}
	a, err := New(Options{Config: cfg, ConfigPath: path, Version: "test", Log: testLogger(t, logs)})
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ra := &runningAgent{Agent: a, cfg: cfg, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { ra.done <- a.Run(ctx) }()
	t.Cleanup(func() { ra.stop(t) })
	return ra
}

// stop cancels the agent and waits for a clean return.
func (ra *runningAgent) stop(t *testing.T) {
	ra.once.Do(func() {
		ra.cancel()
		select {
		case err := <-ra.done:
			if err != nil {
				t.Errorf("agent Run returned %v, want nil on cancel", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop within 30 s of cancel")
		}
	})
}

// metric scrapes /metrics and returns the value of the first sample line
// that starts with series (name and labels as in the exposition), or -1.
func metric(t *testing.T, listen, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		t.Fatalf("scraping metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, series+" ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(line, series+" "), &v)
			return v
		}
	}
	return -1
}

// payload decodes a message body into a map.
func payload(t *testing.T, m testbroker.Message) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Payload, &v); err != nil {
		t.Fatalf("%s: payload is not JSON: %v: %s", m.Topic, err, m.Payload)
	}
	return v
}

// validateAll checks every message against the contract's schemas.
func validateAll(t *testing.T, prefix string, msgs []testbroker.Message) {
	t.Helper()
	for _, m := range msgs {
		sub, ok := strings.CutPrefix(m.Topic, prefix)
		if !ok {
			continue
		}
		if err := event.Validate(sub, m.Payload); err != nil {
			t.Errorf("%s does not match its schema: %v\n%s", m.Topic, err, m.Payload)
		}
	}
}

// testWriter sends log lines to t.Log so they show with -v or on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T, logs *testbroker.LogBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelInfo}))
}
