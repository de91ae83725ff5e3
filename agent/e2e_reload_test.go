package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
)

// TestReloadAppliesPerCamera: two cameras over RTSP; the config file then
// changes the first camera's rules and removes the second. The first
// camera's frame counter never stops (its stream is not restarted: only
// its analyzers change), the second stops and says so, and a broken config
// sent afterwards is refused with the old one kept. The reload command and
// SIGHUP reload as well.
func TestReloadAppliesPerCamera(t *testing.T) {
	broker := testbroker.Start(t)
	clip := needClip(t, "vtest_h264.mp4")
	one := startCam(t, camsim.Config{Clip: clip})
	two := startCam(t, camsim.Config{Clip: clip})
	listen := freeAddr(t)
	head := agentHead(broker.URL(), listen, t.TempDir(), "counts: {interval: 1s}") + "cameras:\n"
	first := head + fmt.Sprintf(`  - {name: one, url: %q, lines: [{name: old-line, points: [[0.5, 0.1], [0.5, 0.9]]}]}
  - {name: two, url: %q}
`, one.URL(), two.URL())
	changed := head + fmt.Sprintf(`  - {name: one, url: %q, lines: [{name: new-line, points: [[0.3, 0.1], [0.3, 0.9]]}]}
`, one.URL())
	path := filepath.Join(t.TempDir(), "pantau.yaml")
	if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := testbroker.Subscribe(t, broker.URL(), "pantau/v1/#")
	ra := startAgent(t, first, path)
	const prefix = "pantau/v1/s/a/"
	sub.WaitTopic(t, 30*time.Second, prefix+"one/status", `"online"`)
	sub.WaitTopic(t, 30*time.Second, prefix+"two/status", `"online"`)
	sub.WaitTopic(t, 10*time.Second, prefix+"one/counts", `"old-line"`)

	// Watch camera one's decoded frames every 250 ms across the reload.
	series := `pantau_frames_decoded_total{camera="one"}`
	stopWatch, stalls := watchCounter(t, listen, series)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	st := payload(t, sub.WaitTopic(t, 20*time.Second, prefix+"two/status", "removed from config"))
	if st["state"] != "offline" {
		t.Errorf("removed camera's status: %v", st)
	}
	sub.Reset()
	sub.WaitTopic(t, 10*time.Second, prefix+"one/counts", `"new-line"`)
	if v := metric(t, listen, `pantau_frames_decoded_total{camera="two"}`); v != -1 {
		t.Errorf("removed camera still exported: frames decoded %v", v)
	}

	// A broken config is refused; camera one goes on.
	if err := os.WriteFile(path, []byte(changed+"  - {name: one, url: ftp://x}\nbogus_key: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for metric(t, listen, "pantau_config_last_reload_successful") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the broken config was not refused (pantau_config_last_reload_successful stayed 1)")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if logs := ra.logs.String(); !strings.Contains(logs, "bogus_key") || !strings.Contains(logs, "refused") {
		t.Errorf("the refusal does not name the bad key in the log")
	}

	// The reload command and SIGHUP reload too; a valid config is back.
	third := strings.Replace(changed, "new-line", "third-line", 1)
	if err := os.WriteFile(path, []byte(third), 0o644); err != nil {
		t.Fatal(err)
	}
	sub.Publish(t, prefix+"cmd/reload", withTS(`{"request_id": "rl"}`), false)
	res := payload(t, sub.WaitTopic(t, 15*time.Second, prefix+"cmd/reload/result", `"rl"`))
	if res["ok"] != true {
		t.Errorf("reload command: %v", res)
	}
	sub.WaitTopic(t, 10*time.Second, prefix+"one/counts", `"third-line"`)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(ra.logs.String(), "SIGHUP: reloading config") {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload the config")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	stopWatch()
	if s := stalls(); len(s) > 0 {
		t.Errorf("camera one's frame counter stalled or went back across the reloads: %v", s)
	}
}

// watchCounter samples a counter every 250 ms until stop; stalls lists the
// 1.5 s windows in which it did not grow, and any decrease.
func watchCounter(t *testing.T, listen, series string) (stop func(), stalls func() []string) {
	done := make(chan struct{})
	finished := make(chan []string, 1)
	go func() {
		var bad []string
		var hist []float64
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				finished <- bad
				return
			case <-tick.C:
			}
			v := metric(t, listen, series)
			if n := len(hist); n > 0 && v < hist[n-1] {
				bad = append(bad, fmt.Sprintf("went back %v → %v", hist[n-1], v))
			}
			hist = append(hist, v)
			if n := len(hist); n > 6 && hist[n-1] <= hist[n-7] {
				bad = append(bad, fmt.Sprintf("stuck at %v for 1.5 s", v))
			}
		}
	}()
	var result []string
	return func() { close(done); result = <-finished }, func() []string { return result }
}
