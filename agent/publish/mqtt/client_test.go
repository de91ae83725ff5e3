package mqtt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
)

func TestTopicsSeqRetainedStatusAndGracefulOffline(t *testing.T) {
	b := testbroker.Start(t)
	sub := testbroker.Subscribe(t, b.URL(), "pantau/v1/#")
	c, _, stop := runClient(t, testConfig(b.URL(), t.TempDir()), nil)
	online := sub.WaitTopic(t, 10*time.Second, prefix+"status", `"state":"online"`)
	if err := event.Validate(online.Topic, online.Payload); err != nil {
		t.Fatalf("online status: %v", err)
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		for _, cam := range []string{"cam1", "cam2"} {
			if err := c.Publish(ctx, motion(cam, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Now()
	ts := event.Timestamp
	counts := event.NewCounts(testSite, testAgent, "cam1", now, event.Counts{
		Start: ts(now.Add(-time.Minute)), End: ts(now), IntervalS: 60, TotalsSince: ts(now.Add(-time.Minute)),
	})
	if err := c.Publish(ctx, counts); err != nil {
		t.Fatal(err)
	}
	camStatus := event.NewCameraStatus(testSite, testAgent, "cam1", time.Now(), event.CameraStatus{State: event.StateOnline, FPS: 10})
	if err := c.Publish(ctx, camStatus); err != nil {
		t.Fatal(err)
	}
	msgs := sub.Wait(t, 10*time.Second, "10 events, counts and camera status", func(ms []testbroker.Message) bool {
		return eventsDone(10)(ms) && len(sub.On(prefix+"cam1/counts")) == 1 && len(sub.On(prefix+"cam1/status")) == 1
	})
	checkDelivery(t, msgs, map[string]uint64{"cam1": 1, "cam2": 1}, map[string]int{"cam1": 5, "cam2": 5})
	// Counts share cam1's seq: after five events it is the sixth message.
	cm := sub.On(prefix + "cam1/counts")[0]
	if r := decode(t, cm); r.Seq != 6 {
		t.Fatalf("cam1 counts seq %d, want 6 (events and counts share a camera's seq)", r.Seq)
	}
	for _, m := range []testbroker.Message{cm, sub.On(prefix + "cam1/status")[0]} {
		if err := event.Validate(m.Topic, m.Payload); err != nil {
			t.Fatalf("%s: %v", m.Topic, err)
		}
	}
	if r := decode(t, sub.On(prefix + "cam1/status")[0]); r.Seq != 0 {
		t.Fatalf("camera status has seq %d; only spooled messages are numbered", r.Seq)
	}

	// A late subscriber sees the retained statuses.
	late := testbroker.Subscribe(t, b.URL(), prefix+"#")
	st := late.WaitTopic(t, 5*time.Second, prefix+"status", `"online"`)
	cs := late.WaitTopic(t, 5*time.Second, prefix+"cam1/status", `"online"`)
	if !st.Retained || !cs.Retained {
		t.Fatalf("statuses not retained: agent %v camera %v", st.Retained, cs.Retained)
	}
	waitSpoolDrained(t, c, 5*time.Second)

	stop()
	off := sub.WaitTopic(t, 5*time.Second, prefix+"status", `"offline"`)
	if r := decode(t, off); r.Will {
		t.Fatalf("graceful shutdown left the last will, not its own offline status: %s", off.Payload)
	}
	if err := event.Validate(off.Topic, off.Payload); err != nil {
		t.Fatalf("offline status: %v", err)
	}
}

func TestLastWillOnKill(t *testing.T) {
	b := testbroker.Start(t)
	sub := testbroker.Subscribe(t, b.URL(), prefix+"status")
	agent := agentProcess(t, b.URL(), t.TempDir(), 0, true)
	sub.WaitTopic(t, 10*time.Second, prefix+"status", `"online"`)
	kill9(t, agent)
	will := sub.WaitTopic(t, 10*time.Second, prefix+"status", `"offline"`)
	r := decode(t, will)
	if !r.Will {
		t.Fatalf("offline after kill -9 is not the last will: %s", will.Payload)
	}
	if err := event.Validate(will.Topic, will.Payload); err != nil {
		t.Fatalf("last will: %v", err)
	}
	late := testbroker.Subscribe(t, b.URL(), prefix+"status")
	if m := late.WaitTopic(t, 5*time.Second, prefix+"status", `"offline"`); !m.Retained {
		t.Fatal("last will not retained")
	}
}

func TestKill9WithSpooledMessagesThenRestart(t *testing.T) {
	b := testbroker.Start(t)
	b.Stop() // the agent spools while the broker is away
	spoolDir := t.TempDir()
	const n = 50
	agent := agentProcess(t, b.URL(), spoolDir, n, false)
	kill9(t, agent) // every Publish returned: all 50 are in the spool

	b.Start()
	sub := testbroker.Subscribe(t, b.URL(), prefix+"#")
	agent = agentProcess(t, b.URL(), spoolDir, 10, true)
	msgs := sub.Wait(t, 20*time.Second, "60 events", eventsDone(n+10))
	// Seq carries on across the restart: 1..50 from the first run, 51..60.
	dups := checkDelivery(t, msgs, map[string]uint64{"cam1": 1}, map[string]int{"cam1": n + 10})
	t.Logf("duplicates: %d", dups)
	kill9(t, agent)
}

func TestPublishRejectsBadMessages(t *testing.T) {
	c, err := New(testConfig("tcp://127.0.0.1:1", t.TempDir()), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	big := motion("cam1", 0)
	big.Body.(*event.Motion).Type = strings.Repeat("x", 2<<20)
	for _, tc := range []struct {
		name string
		msg  event.Message
		want string
	}{
		{"nil body", event.Message{Subtopic: "cam1/event/motion"}, "nil body"},
		{"wildcard", event.Message{Subtopic: "cam1/event/#", Body: motion("cam1", 0).Body}, "wildcards"},
		{"empty level", event.Message{Subtopic: "cam1//motion", Body: motion("cam1", 0).Body}, "empty topic level"},
		{"oversized", big, "exceeds max_payload"},
	} {
		err := c.Publish(ctx, tc.msg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if n, _, _ := c.SpoolStats(); n != 0 {
		t.Fatalf("rejected messages reached the spool: %d", n)
	}
	if next := motion("cam1", 1); c.Publish(ctx, next) != nil || next.Body.Head().Seq != 1 {
		t.Fatalf("a rejected message used up a seq: next got %d", next.Body.Head().Seq)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{}, []string{"url: required", "site:", "agent:"}},
		{Config{URL: "http://u:hunter2@host", Site: "s", Agent: "a"}, []string{"scheme \"http\""}},
		{Config{URL: "tcp://h:1", Site: "s", Agent: "a", TLS: TLSConfig{CertFile: "x"}}, []string{"cert_file and key_file"}},
		{Config{URL: "ssl://h:1", Site: "s", Agent: "a", TLS: TLSConfig{CAFile: "/nonexistent/ca.pem"}}, []string{"tls.ca_file"}},
		{Config{URL: "tcp://h:1", Site: "s", Agent: "a", Spool: SpoolConfig{Dir: t.TempDir(), Fsync: "sometimes"}}, []string{"spool.fsync", "sometimes"}},
		{Config{URL: "tcp://h:1", Site: "s", Agent: "a", Spool: SpoolConfig{Dir: t.TempDir(), Policy: "drop_all"}}, []string{"spool.policy"}},
	} {
		_, err := New(tc.cfg, nil, nil)
		if err == nil {
			t.Fatalf("New(%+v) succeeded", tc.cfg)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestRetainedResentAfterBrokerRestartAndStatusProvider(t *testing.T) {
	b := testbroker.Start(t) // no persistence: a restart forgets retained messages
	c, _, stop := runClient(t, testConfig(b.URL(), t.TempDir()), nil)
	calls := 0
	c.SetStatus(func() event.Payload {
		calls++
		m := event.NewAgentStatus(testSite, testAgent, time.Now(), event.AgentStatus{
			State: event.StateOnline, Version: "v9.9.9", Started: event.Timestamp(time.Now()),
			Cameras: 3, CamerasOnline: 2, Spool: c.SpoolStatus(),
		})
		return m.Body
	})
	waitConnected(t, c)
	b.Stop()
	// Published while the broker is away (whether or not the client has
	// noticed yet): kept and sent on reconnect.
	cs := event.NewCameraStatus(testSite, testAgent, "cam1", time.Now(), event.CameraStatus{State: event.StateDegraded, FPS: 3})
	if err := c.Publish(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	b.Start()
	late := testbroker.Subscribe(t, b.URL(), prefix+"#")
	late.WaitTopic(t, 10*time.Second, prefix+"cam1/status", `"degraded"`)
	// A subscriber arriving now gets it as a retained message.
	later := testbroker.Subscribe(t, b.URL(), prefix+"cam1/status")
	if m := later.WaitTopic(t, 5*time.Second, prefix+"cam1/status", `"degraded"`); !m.Retained {
		t.Fatal("camera status not retained after the broker restart")
	}
	st := late.WaitTopic(t, 10*time.Second, prefix+"status", `"v9.9.9"`)
	if !strings.Contains(string(st.Payload), `"cameras_online":2`) || calls == 0 {
		t.Fatalf("status from the provider: %s", st.Payload)
	}
	stop()
	off := late.WaitTopic(t, 5*time.Second, prefix+"status", `"offline"`)
	if !strings.Contains(string(off.Payload), `"v9.9.9"`) {
		t.Fatalf("offline status is not the provider's body with state offline: %s", off.Payload)
	}
	if err := event.Validate(off.Topic, off.Payload); err != nil {
		t.Fatal(err)
	}
}

func TestSpoolDirInUse(t *testing.T) {
	dir := t.TempDir()
	c, err := New(testConfig("tcp://127.0.0.1:1", dir), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = New(testConfig("tcp://127.0.0.1:1", dir), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second client on the same spool: %v", err)
	}
}
