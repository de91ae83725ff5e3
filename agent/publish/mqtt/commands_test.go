package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
)

// agentCommands stands for the agent's command implementations.
type agentCommands struct {
	mu    sync.Mutex
	calls []string
}

func (a *agentCommands) HandleCommand(_ context.Context, name string, body []byte) (any, error) {
	a.mu.Lock()
	a.calls = append(a.calls, name+" "+string(body))
	a.mu.Unlock()
	if name == event.CmdReload {
		return nil, errors.New("configs/pantau.yaml: cameras[0].url: required")
	}
	if name == event.CmdSnapshot {
		return event.SnapshotResult{Camera: "cam1", ContentType: "image/jpeg", JPEGBase64: strings.Repeat("A", 8<<10)}, nil
	}
	return map[string]any{"cameras": 2}, nil
}

func TestCommands(t *testing.T) {
	b := testbroker.Start(t)
	cc := testbroker.Subscribe(t, b.URL(), prefix+"cmd/+/result")
	cfg := testConfig(b.URL(), t.TempDir())
	cfg.Commands.Disabled = []string{event.CmdDiscover}
	cfg.Commands.MaxBody = 1024
	cfg.MaxPayload = 4 << 10
	c, _, _ := runClient(t, cfg, nil)
	h := &agentCommands{}
	c.HandleCommands(h)
	waitConnected(t, c)

	tests := []struct {
		name, body string
		ok         bool
		want       string // in the error, or in the result when ok
		requestID  string
	}{
		{"status", `{"request_id":"r1"}`, true, `"cameras":2`, "r1"},
		{"status", `{"request_id": "r2"`, false, "not JSON", ""},
		{"status", `{"request_id":"r3","reboot":true}`, false, "reboot", "r3"},
		{"status", `[]`, false, "command.status", ""},
		{"reboot", `{"request_id":"r4"}`, false, `unknown command "reboot"`, "r4"},
		{"discover", `{"request_id":"r5"}`, false, "disabled", "r5"},
		{"snapshot", `{"request_id":"r6","camera":"` + strings.Repeat("x", 2000) + `"}`, false, "exceeds the limit of 1024", ""},
		{"reload", `{"request_id":"r7"}`, false, "cameras[0].url: required", "r7"},
		{"snapshot", `{"request_id":"r8","camera":"cam1","inline":true}`, false, "larger than this agent's max_payload of 4096", "r8"},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tc.name), func(t *testing.T) {
			topic := prefix + "cmd/" + tc.name + "/result"
			before := len(cc.On(topic))
			cc.Publish(t, prefix+"cmd/"+tc.name, stamped(tc.body), false)
			cc.Wait(t, 10*time.Second, "the result on "+topic, func([]testbroker.Message) bool { return len(cc.On(topic)) > before })
			m := cc.On(topic)[before]
			if err := event.Validate(m.Topic, m.Payload); err != nil {
				t.Fatalf("result does not match its schema: %v", err)
			}
			var r event.CommandResult
			if err := json.Unmarshal(m.Payload, &r); err != nil {
				t.Fatal(err)
			}
			text := r.Error
			if r.OK {
				b, _ := json.Marshal(r.Result)
				text = string(b)
			}
			if r.OK != tc.ok || !strings.Contains(text, tc.want) || r.RequestID != tc.requestID || r.Command != tc.name {
				t.Fatalf("result %s; want ok=%t, %q, request_id %q", m.Payload, tc.ok, tc.want, tc.requestID)
			}
			if m.Retained {
				t.Fatal("command result retained")
			}
		})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.calls) != 3 || !strings.HasPrefix(h.calls[0], "status ") || !strings.HasPrefix(h.calls[1], "reload ") {
		t.Fatalf("handler saw %q; only the valid status, reload and snapshot should reach it", h.calls)
	}
}

func TestCommandsOffAndNoHandler(t *testing.T) {
	b := testbroker.Start(t)
	cc := testbroker.Subscribe(t, b.URL(), prefix+"cmd/+/result")
	off := false
	cfg := testConfig(b.URL(), t.TempDir())
	cfg.Commands.Enabled = &off
	c, _, _ := runClient(t, cfg, nil)
	c.HandleCommands(&agentCommands{})
	waitConnected(t, c)
	cc.Publish(t, prefix+"cmd/status", stamped(`{"request_id":"x"}`), false)
	m := cc.WaitTopic(t, 10*time.Second, prefix+"cmd/status/result", `"ok":false`)
	if !strings.Contains(string(m.Payload), "commands are disabled") {
		t.Fatalf("result %s", m.Payload)
	}

	cfg2 := testConfig(b.URL(), t.TempDir())
	cfg2.Agent = "box-2"
	cfg2.ClientID = ""
	c2, _, _ := runClient(t, cfg2, nil)
	waitConnected(t, c2)
	topic := event.TopicPrefix + "/" + testSite + "/box-2/cmd/status"
	cc2 := testbroker.Subscribe(t, b.URL(), topic+"/result")
	cc2.Publish(t, topic, stamped(`{"request_id":"y"}`), false)
	m = cc2.WaitTopic(t, 10*time.Second, topic+"/result", `"ok":false`)
	if !strings.Contains(string(m.Payload), "not ready") {
		t.Fatalf("result without a handler: %s", m.Payload)
	}
}

// stamped puts the current ts into a JSON command body (commands without
// one are refused).
func stamped(body string) []byte {
	if !strings.HasPrefix(body, "{") || strings.Contains(body, `"ts"`) {
		return []byte(body)
	}
	return []byte(`{"ts":"` + time.Now().UTC().Format(time.RFC3339Nano) + `",` + strings.TrimPrefix(body, "{"))
}

// slowStatus blocks status commands until release is closed and counts runs.
type slowStatus struct {
	mu      sync.Mutex
	runs    int
	release chan struct{}
}

func (s *slowStatus) HandleCommand(ctx context.Context, name string, body []byte) (any, error) {
	s.mu.Lock()
	s.runs++
	s.mu.Unlock()
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return map[string]int{"cameras": 0}, nil
}

// TestCommandGate: a command older than max_age or without ts is refused;
// a second command of a kind that is running is answered busy at once; an
// id seen before is answered again with the first answer, not run again.
func TestCommandGate(t *testing.T) {
	b := testbroker.Start(t)
	cc := testbroker.Subscribe(t, b.URL(), prefix+"cmd/+/result")
	cfg := testConfig(b.URL(), t.TempDir())
	c, _, _ := runClient(t, cfg, nil)
	h := &slowStatus{release: make(chan struct{})}
	c.HandleCommands(h)
	waitConnected(t, c)
	topic := prefix + "cmd/status"
	result := func(reqID string) event.CommandResult {
		t.Helper()
		var r event.CommandResult
		cc.Wait(t, 10*time.Second, "result "+reqID, func(ms []testbroker.Message) bool {
			for _, m := range cc.On(topic + "/result") {
				if json.Unmarshal(m.Payload, &r) == nil && r.RequestID == reqID {
					return true
				}
			}
			return false
		})
		return r
	}
	old := time.Now().Add(-2 * time.Minute).UTC().Format(time.RFC3339)
	cc.Publish(t, topic, []byte(`{"ts":"`+old+`","request_id":"stale"}`), false)
	if r := result("stale"); r.OK || !strings.Contains(r.Error, "max_age") {
		t.Fatalf("stale command: %+v", r)
	}
	cc.Publish(t, topic, []byte(`{"request_id":"no-ts"}`), false)
	if r := result("no-ts"); r.OK || !strings.Contains(r.Error, "ts: required") {
		t.Fatalf("command without ts: %+v", r)
	}
	cc.Publish(t, topic, stamped(`{"id":"c1","request_id":"first"}`), false)
	waitRuns := func(n int) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			h.mu.Lock()
			runs := h.runs
			h.mu.Unlock()
			if runs == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d runs, want %d", runs, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitRuns(1)
	cc.Publish(t, topic, stamped(`{"id":"c2","request_id":"second"}`), false)
	if r := result("second"); r.OK || !strings.Contains(r.Error, "busy") {
		t.Fatalf("a second status while one runs: %+v", r)
	}
	close(h.release)
	if r := result("first"); !r.OK {
		t.Fatalf("first status: %+v", r)
	}
	cc.Publish(t, topic, stamped(`{"id":"c1","request_id":"first"}`), false)
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, m := range cc.On(topic + "/result") {
		var r event.CommandResult
		if json.Unmarshal(m.Payload, &r) == nil && r.RequestID == "first" && r.OK {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("a repeated id got %d ok answers, want 2 (answered again)", n)
	}
	waitRuns(1) // and not run again
}

// TestCommandGateSaysWhy: the gate's answers name what was wrong in the
// sender's terms: a ts ahead of the agent's clock is said to be ahead
// (not "sent -5m ago"), and a repeat of a running command names its id.
func TestCommandGateSaysWhy(t *testing.T) {
	var g cmdGate
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	body := func(ts time.Time, id string) []byte {
		return []byte(fmt.Sprintf(`{"ts":%q,"id":%q,"request_id":"r"}`, ts.Format(time.RFC3339), id))
	}
	for _, tc := range []struct {
		ts   time.Time
		want string
	}{
		{now.Add(-90 * time.Second), "sent 1m30s ago, more than commands.max_age 1m0s"},
		{now.Add(5 * time.Minute), "ts is 5m0s ahead of this agent's clock, more than commands.max_age 1m0s"},
	} {
		out, ok := g.admit("reload", body(tc.ts, ""), now, time.Minute)
		if ok || out == nil || !strings.Contains(out.err.Error(), tc.want) {
			t.Fatalf("ts %v: %v, want refused saying %q", tc.ts, out, tc.want)
		}
	}
	if _, ok := g.admit("reload", body(now, "c-7"), now, time.Minute); !ok {
		t.Fatal("a fresh command was not admitted")
	}
	out, ok := g.admit("reload", body(now, "c-7"), now, time.Minute)
	if ok || out == nil || !strings.Contains(out.err.Error(), `busy: this command (id "c-7") is running already`) {
		t.Fatalf("the same id while it runs: %v", out)
	}
}

// TestCommandGateMemoryIsBoundedWithAHungCommand: a command that never
// returns keeps its own id, not every id seen after it: the gate remembers
// at most maxRemembered (plus the ones running), and still answers the
// hung one's repeat as busy.
func TestCommandGateMemoryIsBoundedWithAHungCommand(t *testing.T) {
	var g cmdGate
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	body := func(id string) []byte {
		return []byte(fmt.Sprintf(`{"ts":%q,"id":%q,"request_id":"r"}`, now.Format(time.RFC3339), id))
	}
	if _, ok := g.admit("discover", body("hung"), now, time.Minute); !ok {
		t.Fatal("the first command was not admitted")
	}
	for i := range maxRemembered + 500 {
		b := body(strconv.Itoa(i))
		if _, ok := g.admit("status", b, now, time.Minute); !ok {
			t.Fatalf("status %d not admitted", i)
		}
		g.finish("status", b, commandOutcome{requestID: "r"})
	}
	if n := len(g.seen); n > maxRemembered+1 || len(g.order) != n {
		t.Fatalf("%d ids remembered (%d in order) behind a hung command, want at most %d", n, len(g.order), maxRemembered+1)
	}
	if out, ok := g.admit("discover", body("hung"), now, time.Minute); ok || out == nil || !strings.Contains(out.err.Error(), "busy") {
		t.Fatalf("the hung command's repeat: %v, want busy", out)
	}
}

// TestCommandFloodIsBounded: thousands of commands sent at once (QoS 0,
// so the broker's in-flight window does not pace them) while one runs:
// the client's goroutines stay within maxCommandsInFlight of what they
// were, the rest is dropped unanswered and logged once, and commands work
// again after the flood.
func TestCommandFloodIsBounded(t *testing.T) {
	b := testbroker.Start(t)
	cc := testbroker.Subscribe(t, b.URL(), prefix+"cmd/+/result")
	c, logs, _ := runClient(t, testConfig(b.URL(), t.TempDir()), nil)
	h := &slowStatus{release: make(chan struct{})}
	c.HandleCommands(h)
	waitConnected(t, c)
	flood := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("flood"))
	if tok := flood.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer flood.Disconnect(100)

	base := runtime.NumGoroutine()
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	const n = 3000
	for i := 0; i < n; i++ {
		flood.Publish(prefix+"cmd/status", 0, false, stamped(fmt.Sprintf(`{"request_id":"flood-%d"}`, i)))
	}
	time.Sleep(3 * time.Second)
	close(stop)
	<-sampled
	close(h.release)
	extra := int(peak.Load()) - base
	t.Logf("%d commands at once: peak %d goroutines over the %d before", n, extra, base)
	// The sampler, paho's own per-message goroutines in the moment before
	// they return: a margin of 32 over the limit.
	if extra > maxCommandsInFlight+32 {
		t.Fatalf("a flood of %d commands raised the goroutines by %d, want at most %d+32", n, extra, maxCommandsInFlight)
	}
	if !strings.Contains(logs.String(), "commands dropped unanswered") {
		t.Fatalf("the dropped commands are not logged:\n%s", logs)
	}
	cc.Reset()
	cc.Publish(t, prefix+"cmd/status", stamped(`{"request_id":"after"}`), false)
	cc.WaitTopic(t, 10*time.Second, prefix+"cmd/status/result", `"after"`)
}
