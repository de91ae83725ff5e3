package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/agent/testdisk"
)

// TestFullDiskThroughTheBinary runs the agent on a camera simulator and a
// live mosquitto with its spool on a 2 MiB tmpfs, then keeps that tmpfs
// filled to the last byte (as another writer on the box would): /readyz
// turns not ready naming the disk, drops are counted as disk_full and
// leave as many gaps in the camera's seq, and once the space is back the agent
// is ready again and the seq goes on, without a restart. Mounting the
// tmpfs needs root (CAP_SYS_ADMIN); the test fails where it cannot.
func TestFullDiskThroughTheBinary(t *testing.T) {
	work := t.TempDir()
	disk := testdisk.Tmpfs(t, 2<<20)
	bin := buildPantau(t)
	brokerURL := testbroker.Start(t).URL()
	cam, err := camsim.New(camsim.Config{Clip: filepath.Join("..", "..", "testdata", "clips", "vtest_h264.mp4"), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cam.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	addr := freeLoopbackPort(t)
	cfg := fmt.Sprintf(`site: s1
agent: box1
http:
  listen: %s
mqtt:
  url: %s
spool:
  dir: %s
  max_bytes: 1MiB
counts:
  interval: 1s
cameras:
  - name: cam1
    url: %s
    fps: 5
    lines:
      - name: mid
        points: [[0.5, 0.1], [0.5, 0.95]]
`, addr, brokerURL, filepath.Join(disk, "spool"), cam.URL())
	cfgPath := filepath.Join(work, "pantau.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Events and counts share the camera's seq; status and occupancy
	// carry none.
	sub := testbroker.Subscribe(t, brokerURL, "pantau/v1/s1/box1/#")
	log := startBinaryAgent(t, bin, cfgPath)
	base := "http://" + addr

	readyz := func() (int, map[string]string) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var body struct {
			Checks map[string]string `json:"checks"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Checks
	}
	metric := func(name string) string {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, name+" ") {
				return strings.TrimPrefix(l, name+" ")
			}
		}
		return ""
	}
	countSeqs := func() []uint64 {
		var out []uint64
		for _, m := range sub.Messages() {
			if !strings.HasPrefix(m.Topic, "pantau/v1/s1/box1/cam1/") {
				continue
			}
			var h struct {
				Seq uint64 `json:"seq"`
			}
			json.Unmarshal(m.Payload, &h)
			if h.Seq > 0 {
				out = append(out, h.Seq)
			}
		}
		return out
	}
	dump := func() string { return "agent log:\n" + log.String() }

	waitFor(t, 60*time.Second, "agent ready and 3 messages delivered", func() string {
		if code, checks := readyz(); code != 200 {
			return fmt.Sprintf("readyz %d %v", code, checks)
		}
		if n := len(countSeqs()); n < 3 {
			return fmt.Sprintf("%d messages with a seq", n)
		}
		return ""
	}, dump)

	// Keep the tmpfs full to the last byte until told to stop.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	filler := filepath.Join(disk, "filler")
	fullSince := time.Now()
	go func() {
		defer wg.Done()
		f, err := os.OpenFile(filler, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		chunks := [][]byte{make([]byte, 64<<10), make([]byte, 4<<10), make([]byte, 1)}
		for {
			for _, c := range chunks {
				for {
					if _, err := f.Write(c); err != nil {
						if !errors.Is(err, syscall.ENOSPC) {
							t.Error(err)
							return
						}
						break
					}
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	waitFor(t, 30*time.Second, "readyz not ready naming the full disk, disk_full drops", func() string {
		code, checks := readyz()
		if code != 503 || !strings.Contains(checks["spool"], "no space left on device") {
			return fmt.Sprintf("readyz %d %v", code, checks)
		}
		if v := metric(`pantau_spool_dropped_total{reason="disk_full"}`); v == "" || v == "0" {
			return "pantau_spool_dropped_total{reason=\"disk_full\"} " + v
		}
		if v := metric("pantau_spool_disk_ok"); v != "0" {
			return "pantau_spool_disk_ok " + v
		}
		return ""
	}, dump)
	// The agent status says it too (the status command answers with it;
	// results are not spooled).
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	sub.Publish(t, "pantau/v1/s1/box1/cmd/status", []byte(`{"ts":"`+ts+`","request_id":"full"}`), false)
	res := sub.WaitTopic(t, 15*time.Second, "pantau/v1/s1/box1/cmd/status/result", `"full"`)
	var status struct {
		Result struct {
			Agent struct {
				Spool struct {
					DiskError string `json:"disk_error"`
				} `json:"spool"`
			} `json:"agent"`
		} `json:"result"`
	}
	if err := json.Unmarshal(res.Payload, &status); err != nil || !strings.Contains(status.Result.Agent.Spool.DiskError, "no space left on device") {
		t.Fatalf("status result on a full disk: %v\n%s\nwant agent.spool.disk_error naming the full disk", err, res.Payload)
	}
	time.Sleep(2 * time.Second) // a few more counts intervals dropped
	close(stop)
	wg.Wait()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	fullFor := time.Since(fullSince)
	before := len(countSeqs())
	waitFor(t, 30*time.Second, "ready again with messages flowing", func() string {
		if code, checks := readyz(); code != 200 {
			return fmt.Sprintf("readyz %d %v", code, checks)
		}
		if v := metric("pantau_spool_disk_ok"); v != "1" {
			return "pantau_spool_disk_ok " + v
		}
		if n := len(countSeqs()); n < before+2 {
			return fmt.Sprintf("%d messages since the disk was freed", n-before)
		}
		return ""
	}, dump)
	seqs := countSeqs()
	missing := 0
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("seq went back: %v", seqs)
		}
		missing += int(seqs[i] - seqs[i-1] - 1)
	}
	if dropped := metric(`pantau_spool_dropped_total{reason="disk_full"}`); missing == 0 || fmt.Sprint(missing) != dropped {
		t.Fatalf("%d seqs missing (%v), %s counted as disk_full: every drop must show as a gap and every gap be counted", missing, seqs, dropped)
	}
	// Summarised: the first drop at once, then one line per 10 s (the
	// agent's summary period) with what came since, each drop in exactly
	// one line; not a line per drop.
	var summary []string
	summed := 0
	dropped := metric(`pantau_spool_dropped_total{reason="disk_full"}`)
	waitFor(t, 15*time.Second, "the last drops summarised (10 s period)", func() string {
		summary, summed = nil, 0
		for _, l := range log.lines() {
			if _, n, ok := strings.Cut(l, " disk_full="); ok {
				summary = append(summary, l)
				k, _ := strconv.Atoi(strings.Fields(n)[0])
				summed += k
			}
		}
		if strconv.Itoa(summed) != dropped {
			return fmt.Sprintf("%d of %s drops in the log", summed, dropped)
		}
		return ""
	}, dump)
	if len(summary) == 0 || len(summary) > 3+int(fullFor/(10*time.Second)) || strconv.Itoa(summed) != dropped {
		t.Fatalf("%d log lines about disk_full in %v of full disk, summing %d drops of %s counted; want one at once, then at most one per 10 s, summing them all:\n%s",
			len(summary), fullFor.Round(time.Second), summed, dropped, strings.Join(summary, "\n"))
	}
	t.Logf("the log summarised the drops in %d line(s) over %v of full disk: %s", len(summary), fullFor.Round(time.Second), summary[0])
	var drops []string
	for _, r := range []string{"disk_full", "disk_error", "full", "full_counts", "corrupt", "age", "too_big"} {
		drops = append(drops, r+"="+metric(`pantau_spool_dropped_total{reason="`+r+`"}`))
	}
	t.Logf("cam1 seqs across the full disk: %v; drops %v", seqs, drops)
}

// startBinaryAgent starts `bin run -c cfgPath` with the test's environment plus
// env, stopped with SIGTERM at the end of the test (and killed if the test
// process dies); its output is returned as it comes.
func startBinaryAgent(t *testing.T, bin, cfgPath string, env ...string) *readmeOutput {
	t.Helper()
	var log readmeOutput
	agent := exec.Command(bin, "run", "-c", cfgPath)
	agent.Env = append(os.Environ(), env...)
	agent.Stdout, agent.Stderr = &log, &log
	agent.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Signal(syscall.SIGTERM); agent.Wait() })
	return &log
}
