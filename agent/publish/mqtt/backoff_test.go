package mqtt

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testbroker"
)

// connTimes records when the client reported connected and disconnected
// (a failed attempt or a loss).
type connTimes struct {
	nopMetrics
	mu   sync.Mutex
	up   []time.Time
	down []time.Time
}

func (m *connTimes) Connected(up bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if up {
		m.up = append(m.up, time.Now())
	} else {
		m.down = append(m.down, time.Now())
	}
}

func (m *connTimes) snapshot() (up, down []time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Time(nil), m.up...), append([]time.Time(nil), m.down...)
}

// checkPauses checks the gaps between the failures after from against
// the shared backoff's sequence (min doubling to max, ±20 % jitter). The
// upper bound allows for a connect attempt and a busy machine.
func checkPauses(t *testing.T, what string, down []time.Time, from time.Time, first, limit time.Duration) {
	t.Helper()
	var at []time.Time
	for _, d := range down {
		if !d.Before(from) {
			at = append(at, d)
		}
	}
	if len(at) < 5 {
		t.Fatalf("%s: %d failed attempts recorded, want at least 5", what, len(at))
	}
	want := first
	var got []string
	for i := 1; i < 5; i++ {
		gap := at[i].Sub(at[i-1])
		got = append(got, gap.Round(time.Millisecond).String())
		lo, hi := time.Duration(0.8*float64(want))-5*time.Millisecond, time.Duration(1.2*float64(want))+250*time.Millisecond
		if gap < lo || gap > hi {
			t.Errorf("%s: pause %d was %v, want %v ±20 %% (the shared backoff); pauses %v", what, i, gap.Round(time.Millisecond), want, got)
		}
		want = min(2*want, limit)
	}
	t.Logf("%s: pauses %v", what, got)
}

// TestReconnectUsesSharedBackoff: the MQTT session is retried by the
// agent's one supervisor with the one backoff. With mosquitto stopped the
// attempts come after 100, 200, 400, 800 ms (±20 %); once it is back the
// client reconnects within the largest pause; a connection that lasted
// past stableAfter resets the backoff, so the next outage starts at
// 100 ms again.
func TestReconnectUsesSharedBackoff(t *testing.T) {
	b := testbroker.Start(t)
	cfg := testConfig(b.URL(), t.TempDir())
	cfg.ReconnectMin, cfg.ReconnectMax = 100*time.Millisecond, 800*time.Millisecond
	m := &connTimes{}
	c, logs, _ := runClient(t, cfg, m)
	waitConnected(t, c)

	stopped := time.Now()
	b.Stop()
	time.Sleep(2500 * time.Millisecond)
	_, down := m.snapshot()
	checkPauses(t, "first outage", down, stopped, cfg.ReconnectMin, cfg.ReconnectMax)

	restarted := time.Now()
	b.Start()
	waitConnected(t, c)
	if d := time.Since(restarted); d > 2*time.Second {
		t.Errorf("reconnected %v after the broker came back, want within the largest pause (0.96 s) and a connect", d.Round(time.Millisecond))
	}
	up, _ := m.snapshot()
	t.Logf("reconnected %v after the broker came back", up[len(up)-1].Sub(restarted).Round(time.Millisecond))

	// A stable connection resets the backoff.
	time.Sleep(stableAfter + 500*time.Millisecond)
	stopped = time.Now()
	b.Stop()
	time.Sleep(2500 * time.Millisecond)
	_, down = m.snapshot()
	checkPauses(t, "second outage", down, stopped, cfg.ReconnectMin, cfg.ReconnectMax)
	b.Start()
	waitConnected(t, c)
	if n := strings.Count(logs.String(), "mqtt: cannot connect"); n != 1 {
		t.Errorf("%d cannot-connect lines over two outages within a minute, want 1 (summarised):\n%s", n, logs)
	}
}
