package fleetsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/hub"
	"github.com/pantau/pantau/hub/config"
)

// hubRun is the hub under test, in this process or as a child.
type hubRun struct {
	cfg   Config
	path  string // its hub.yaml
	dbURL string
	url   string // http://127.0.0.1:port

	cancel context.CancelFunc
	done   chan error
	cmd    *exec.Cmd

	cpu     time.Duration // of child processes that ended
	peakRSS int64
}

func startHub(ctx context.Context, cfg Config, brokerURL string) (*hubRun, error) {
	port, err := testbroker.FreePort()
	if err != nil {
		return nil, err
	}
	h := &hubRun{cfg: cfg, path: filepath.Join(cfg.Dir, "hub.yaml"), dbURL: "sqlite:" + filepath.Join(cfg.Dir, "hub.db"),
		url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	yaml := fmt.Sprintf(`log: {level: warn}
mqtt: {url: %q, client_id: fleetsim-hub}
http: {listen: "127.0.0.1:%d"}
store: {url: %q}
limits: {site_burst: 1000000}
`, brokerURL, port, h.dbURL)
	if err := os.WriteFile(h.path, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	return h, h.start(ctx)
}

func (h *hubRun) start(ctx context.Context) error {
	if h.cfg.HubBinary != "" {
		h.cmd = exec.Command(h.cfg.HubBinary, "hub", "-c", h.path)
		h.cmd.Stderr = os.Stderr
		if err := h.cmd.Start(); err != nil {
			return err
		}
	} else {
		cfg, err := config.Load(h.path)
		if err != nil {
			return err
		}
		hctx, cancel := context.WithCancel(context.Background())
		h.cancel, h.done = cancel, make(chan error, 1)
		go func() { h.done <- hub.Serve(hctx, cfg, h.cfg.Log, hub.ServeOptions{}) }()
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(h.url + "/healthz"); err == nil {
			r.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("fleetsim: the hub did not answer on %s within 20 s", h.url)
}

// stop ends the hub (gracefully) and adds a child's CPU time to the total.
func (h *hubRun) stop() {
	if h.cmd != nil {
		h.sample()
		h.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited
		h.cmd.Wait()                          //nolint:errcheck // the exit status of a stopped hub is not news
		if st := h.cmd.ProcessState; st != nil {
			h.cpu += st.UserTime() + st.SystemTime()
		}
		h.cmd = nil
	}
	if h.cancel != nil {
		h.cancel()
		if err := <-h.done; err != nil {
			h.cfg.Log.Error("hub", "err", err)
		}
		h.cancel = nil
	}
}

// sample records the child's peak resident memory so far.
func (h *hubRun) sample() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			h.peakRSS = max(h.peakRSS, kb*1024)
		}
	}
}

// received asks the hub how many messages with a seq it stored.
func (h *hubRun) received() (int64, error) {
	r, err := http.Get(h.url + "/api/v1/cameras")
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	var cams []struct{ Received int64 }
	if err := json.NewDecoder(r.Body).Decode(&cams); err != nil {
		return 0, err
	}
	var n int64
	for _, c := range cams {
		n += c.Received
	}
	return n, nil
}

// waitStored waits until the hub has stored as many messages as were sent.
func (h *hubRun) waitStored(ctx context.Context, rec *sent, timeout time.Duration) error {
	rec.mu.Lock()
	want := int64(len(rec.ids))
	rec.mu.Unlock()
	deadline := time.Now().Add(timeout)
	var n int64
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var err error
		if n, err = h.received(); err == nil && n >= want {
			return nil
		}
		h.sample()
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("after %s the hub had stored %d of %d messages", timeout, n, want)
}

// measure fills the hub's resource figures.
func (h *hubRun) measure(r *Report) error {
	if h.cmd == nil {
		r.Notes = append(r.Notes, "the hub ran inside the simulation's process: CPU and memory are not the hub's alone")
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
			r.HubCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			r.HubPeakRSS = ru.Maxrss * 1024
		}
		return nil
	}
	h.sample()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.cmd.Process.Pid))
	if err != nil {
		return err
	}
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, stime: fields 14 and 15 of stat
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	r.HubCPU = h.cpu + time.Duration(ut+st)*time.Second/hz
	r.HubPeakRSS = h.peakRSS
	return nil
}
