package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/agent/testdisk"
)

// stuckCounts is the agent's real publisher with one camera's counts
// publish held, as that camera's spool append would be if its write hung.
// A real hung fsync holds every camera's append (the spool commits for
// all at once; TestStalledSpoolDiskHoldsNoReload covers that case), so
// holding one camera's alone needs this wrapper, the one fake here;
// broker, spool and the other cameras are real.
type stuckCounts struct {
	publisher
	camera  string
	entered chan struct{} // closed when the first held publish began
	release chan struct{} // closing it lets held publishes through
	once    sync.Once
}

func (s *stuckCounts) Publish(ctx context.Context, m event.Message) error {
	if m.Camera == s.camera && strings.HasSuffix(m.Subtopic, "/counts") {
		s.once.Do(func() { close(s.entered) })
		select {
		case <-s.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.publisher.Publish(ctx, m)
}

// TestStuckIntervalCloseDelaysNoOtherCamera: camera "stuck" cannot close
// its count interval (its spool append hangs). The other cameras still
// publish a counts message every interval, and a reload that changes one
// of them and removes another completes at once. Once the append goes
// through, the stuck camera's counts follow. The cameras' repeated stream
// failures are logged once each.
func TestStuckIntervalCloseDelaysNoOtherCamera(t *testing.T) {
	broker := testbroker.Start(t)
	// No stream answers: interval closing does not need frames (counts
	// with frames_analysed 0 say the camera is silent), and no decoding
	// keeps the test cheap.
	dead := "rtsp://" + freeAddr(t) + "/none"
	listen := freeAddr(t)
	head := agentHead(broker.URL(), listen, t.TempDir(), "counts: {interval: 1s}") + fmt.Sprintf(`cameras:
  - {name: stuck, url: %q}
`, dead)
	first := head + fmt.Sprintf("  - {name: b, url: %q}\n  - {name: c, url: %q}\n", dead, dead)
	second := head + fmt.Sprintf("  - {name: c, url: %q, lines: [{name: after-reload, points: [[0.5, 0.1], [0.5, 0.9]]}]}\n", dead)
	path := filepath.Join(t.TempDir(), "pantau.yaml")
	if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	const prefix = "pantau/v1/s/a/"
	sub := testbroker.Subscribe(t, broker.URL(), prefix+"#")
	stuck := &stuckCounts{camera: "stuck", entered: make(chan struct{}), release: make(chan struct{})}
	released := false
	defer func() {
		if !released {
			close(stuck.release)
		}
	}()
	ra := startAgentWith(t, first, path, func(a *Agent) {
		stuck.publisher = a.pub
		a.pub = stuck
	})
	select {
	case <-stuck.entered:
	case <-time.After(15 * time.Second):
		t.Fatal("camera stuck never closed an interval")
	}
	held := time.Now()

	// The other cameras close every interval on time while stuck waits.
	sub.Reset()
	time.Sleep(4500 * time.Millisecond)
	for _, cam := range []string{"b", "c"} {
		got := sub.On(prefix + cam + "/counts")
		if len(got) < 4 {
			t.Errorf("camera %s published %d counts in 4.5 s of 1 s intervals while another camera was stuck, want ≥ 4", cam, len(got))
		}
		for i := 1; i < len(got); i++ {
			if gap := got[i].Received.Sub(got[i-1].Received); gap > 1800*time.Millisecond {
				t.Errorf("camera %s: %v between two 1 s intervals' counts", cam, gap.Round(time.Millisecond))
			}
		}
	}

	// A reload completes while stuck is still held.
	if err := os.WriteFile(path, []byte(second), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := ra.Reload(ctx); err != nil {
		t.Fatalf("reload with one camera's interval close stuck: %v after %v", err, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("reload took %v with camera stuck held", time.Since(start).Round(time.Millisecond))
	sub.WaitTopic(t, 5*time.Second, prefix+"b/status", "removed from config")
	sub.WaitTopic(t, 5*time.Second, prefix+"c/counts", `"after-reload"`)
	if n := len(sub.On(prefix + "stuck/counts")); n != 0 {
		t.Fatalf("%d counts of the stuck camera went out while it was held", n)
	}

	// Let the append through: the stuck camera catches up.
	close(stuck.release)
	released = true
	msgs := sub.Wait(t, 10*time.Second, "the stuck camera's intervals", func(ms []testbroker.Message) bool {
		n := 0
		for _, m := range ms {
			if m.Topic == prefix+"stuck/counts" {
				n++
			}
		}
		return float64(n) >= time.Since(held).Seconds()-2
	})
	validateAll(t, prefix, msgs)

	// Each camera's stream failed again and again (nothing answers), and
	// the log said so once: one place summarises repeated warnings.
	if n := metric(t, listen, `pantau_reconnects_total{camera="stuck"}`); n < 3 {
		t.Fatalf("camera stuck reconnected %v times; the test wants repeated failures", n)
	}
	if n := strings.Count(ra.logs.String(), `msg="camera stream failed; retrying" camera=stuck`); n != 1 {
		t.Errorf("%d stream failure lines for camera stuck within a minute, want 1 (summarised)", n)
	}
}

// TestStalledSpoolDiskHoldsNoReload: the spool is on a real disk whose
// fsync hangs (testdisk.StallFS, FUSE). Every camera's durable append
// waits for it, but a reload that changes both cameras' rules completes
// at once: the partial intervals of the old rules are flushed beside it,
// not on its way. Once the disk answers, the flushed partial intervals
// and the counts under the new rules are all delivered.
func TestStalledSpoolDiskHoldsNoReload(t *testing.T) {
	sfs := testdisk.NewStallFS(t)
	broker := testbroker.Start(t)
	dead := "rtsp://" + freeAddr(t) + "/none"
	head := agentHead(broker.URL(), freeAddr(t), filepath.Join(sfs.Dir, "spool"), "counts: {interval: 1s}") + "cameras:\n"
	cams := func(line string) string {
		out := head
		for _, c := range []string{"b", "c"} {
			out += fmt.Sprintf("  - {name: %s, url: %q, lines: [{name: %s, points: [[0.5, 0.1], [0.5, 0.9]]}]}\n", c, dead, line)
		}
		return out
	}
	path := filepath.Join(t.TempDir(), "pantau.yaml")
	if err := os.WriteFile(path, []byte(cams("before")), 0o644); err != nil {
		t.Fatal(err)
	}
	const prefix = "pantau/v1/s/a/"
	sub := testbroker.Subscribe(t, broker.URL(), prefix+"#")
	ra := startAgent(t, cams("before"), path)
	sub.WaitTopic(t, 15*time.Second, prefix+"b/counts", `"before"`)
	sub.WaitTopic(t, 15*time.Second, prefix+"c/counts", `"before"`)

	sfs.Stall()
	// Resume before the agent's clean-up stops it, also when the test
	// fails: a process cannot exit while its own FUSE disk holds an fsync.
	defer sfs.Resume()
	select {
	case <-sfs.Entered():
	case <-time.After(10 * time.Second):
		t.Fatal("no fsync reached the stalled disk")
	}
	if err := os.WriteFile(path, []byte(cams("after")), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := ra.Reload(ctx); err != nil {
		t.Fatalf("reload while the spool's fsync hangs: %v after %v", err, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("reload took %v while %d fsyncs hung", time.Since(start).Round(time.Millisecond), sfs.Held())
	time.Sleep(1500 * time.Millisecond) // intervals under the new rules close, their appends wait too
	sub.Reset()
	sfs.Resume()
	for _, c := range []string{"b", "c"} {
		sub.WaitTopic(t, 15*time.Second, prefix+c+"/counts", `"partial":true`)
		sub.WaitTopic(t, 15*time.Second, prefix+c+"/counts", `"after"`)
	}
}
