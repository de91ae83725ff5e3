package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testdisk"
)

// startServer serves m's registry on a free loopback port and returns its
// base URL; the server stops when the test ends.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// promtool finds promtool (scripts/setup.sh puts it in .tools/bin).
func promtool(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs("../../.tools/bin/promtool"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	t.Fatal("promtool not found in .tools/bin or PATH: run scripts/setup.sh")
	return ""
}

// populated returns metrics with every family holding at least one series,
// as a running agent would.
func populated(t *testing.T) (*Metrics, *Server) {
	m, reg := newMetrics(t)
	for _, name := range []string{"cam1", "cam2"} {
		c := m.Camera(name)
		c.StreamUp(true)
		c.FrameReceived()
		c.FrameDecoded(4 * time.Millisecond)
		c.FrameAnalysed("motion", 2*time.Millisecond)
		c.FrameDropped("queue_full")
		c.DecodeError()
		c.Reconnect()
		c.DecodeMode("full")
		c.LineCrossing("mid", "in", "person")
		c.ZoneOccupancy("plaza", "person", 1)
		c.ViewChange("day_to_ir")
		c.View("ir")
		c.MotionRestart("view_change")
	}
	q := m.MQTT()
	q.Connected(true)
	q.Published("event")
	q.PublishFailed("event")
	q.SpoolState(1, 100, time.Second)
	q.SpoolDropped("full", 1)
	d := m.Detector()
	d.QueueLength(1)
	d.Inference(24 * time.Millisecond)
	d.Detected("person", 2)
	d.Skipped("cam1", "rate")
	d.RateScale(0.5)
	d.Workers(1)
	m.ConfigLoaded(true)
	return m, NewServer("127.0.0.1:0", reg, nil, nil)
}

// TestPromtoolCheckMetrics runs promtool on the real /metrics exposition.
func TestPromtoolCheckMetrics(t *testing.T) {
	tool := promtool(t)
	_, s := populated(t)
	base := startServer(t, s)
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, name := range []string{"pantau_build_info", "go_goroutines", "process_resident_memory_bytes",
		"pantau_decode_seconds_bucket", "pantau_last_frame_age_seconds",
		"pantau_detector_inference_seconds_bucket", "pantau_detector_frames_skipped_total", "pantau_detector_queue_length",
		"pantau_detector_detections_total", "pantau_detector_rate_scale",
		"pantau_view_changes_total", "pantau_camera_view", "pantau_motion_background_restarts_total"} {
		if !bytes.Contains(body, []byte("\n"+name)) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	if bytes.Contains(body, []byte("rtsp://")) {
		t.Error("exposition contains a URL")
	}
}

func TestHealthz(t *testing.T) {
	_, s := populated(t)
	base := startServer(t, s)
	code, body := get(t, base+"/healthz")
	var v struct{ Status string }
	if err := json.Unmarshal(body, &v); err != nil || code != 200 || v.Status != "ok" {
		t.Errorf("/healthz = %d %s (%v)", code, body, err)
	}
}

type readyBody struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

func readyz(t *testing.T, base string) (int, readyBody) {
	t.Helper()
	code, body := get(t, base+"/readyz")
	var v readyBody
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	if (code == 200) != v.Ready {
		t.Errorf("/readyz status %d but ready=%v", code, v.Ready)
	}
	return code, v
}

// TestReadyzFlips follows readiness through the states an agent goes
// through: starting, camera online, camera offline, broker gone with the
// spool filling, spool directory gone.
func TestReadyzFlips(t *testing.T) {
	m, reg := newMetrics(t, WithoutRuntimeCollectors())
	spool := t.TempDir()
	s := NewServer("", reg, m.Ready(ReadyOptions{SpoolDir: spool, SpoolMaxBytes: 1000}), nil)
	base := startServer(t, s)

	steps := []struct {
		name  string
		do    func()
		ready bool
		check string // a check that must mention want
		want  string
	}{
		{"before config", func() {}, false, "config", "no valid config"},
		{"config, no cameras", func() { m.ConfigLoaded(true); m.MQTT().Connected(true) }, true, "cameras", "no cameras configured"},
		{"camera added, not yet online", func() { m.Camera("cam1") }, false, "cameras", "none of 1 cameras online"},
		{"camera online", func() { m.Camera("cam1").StreamUp(true) }, true, "cameras", "1 of 1 cameras online"},
		{"camera offline", func() { m.Camera("cam1").StreamUp(false) }, false, "cameras", "offline: [cam1]"},
		{"camera back", func() { m.Camera("cam1").StreamUp(true) }, true, "cameras", "1 of 1"},
		{"broker gone, spooling", func() { m.MQTT().Connected(false); m.MQTT().SpoolState(3, 300, time.Minute) }, true, "mqtt", "spooling (3 messages"},
		{"spool nearly full", func() { m.MQTT().SpoolState(9, 950, time.Hour) }, false, "mqtt", "95% of its limit"},
		{"broker back", func() { m.MQTT().Connected(true) }, true, "mqtt", "connected"},
		{"reload refused", func() { m.ConfigLoaded(false) }, true, "config", "running the previous config"},
		{"spool dir gone", func() { os.RemoveAll(spool) }, false, "spool", "not writable"},
		{"last camera removed", func() { os.Mkdir(spool, 0o700); m.Remove("cam1") }, true, "cameras", "no cameras configured"},
	}
	for _, st := range steps {
		st.do()
		code, v := readyz(t, base)
		if v.Ready != st.ready || !strings.Contains(v.Checks[st.check], st.want) {
			t.Errorf("%s: /readyz = %d %+v; want ready=%v and %s mentioning %q", st.name, code, v.Checks, st.ready, st.check, st.want)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	m, reg := newMetrics(t, WithoutRuntimeCollectors())
	s := NewServer("127.0.0.1:0", reg, m.Ready(ReadyOptions{}), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	bad := NewServer("256.0.0.1:99999", reg, nil, nil)
	if err := bad.Run(context.Background()); err == nil {
		t.Error("Run on a bad address returned nil")
	}
}

// TestHandleExtra checks that handlers added with Handle (the agent's
// snapshot endpoint) are served next to the built-in ones.
func TestHandleExtra(t *testing.T) {
	_, s := populated(t)
	s.Handle("/snapshot/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("cam=" + strings.TrimPrefix(r.URL.Path, "/snapshot/")))
	}))
	base := startServer(t, s)
	if code, body := get(t, base+"/snapshot/cam1.jpg"); code != 200 || string(body) != "cam=cam1.jpg" {
		t.Errorf("/snapshot/cam1.jpg = %d %q", code, body)
	}
	if code, _ := get(t, base+"/metrics"); code != 200 {
		t.Errorf("/metrics = %d after Handle", code)
	}
	if code, _ := get(t, base+"/nothing"); code != 404 {
		t.Errorf("/nothing = %d, want 404", code)
	}
}

// TestReadyzReadOnlyDisk: a spool on a real ext4 that the kernel turned
// read-only (errors=remount-ro after an error) makes /readyz not ready,
// naming the read-only file system.
func TestReadyzReadOnlyDisk(t *testing.T) {
	disk := testdisk.NewExt4(t, 8<<20)
	m, reg := newMetrics(t, WithoutRuntimeCollectors())
	s := NewServer("", reg, m.Ready(ReadyOptions{SpoolDir: disk.Dir, SpoolMaxBytes: 1000}), nil)
	base := startServer(t, s)
	m.ConfigLoaded(true)
	m.MQTT().Connected(true)
	if code, v := readyz(t, base); !v.Ready || !strings.Contains(v.Checks["spool"], "writable") {
		t.Fatalf("before the disk error: /readyz %d %+v", code, v.Checks)
	}
	disk.Fail(t)
	if code, v := readyz(t, base); v.Ready || code != 503 || !strings.Contains(v.Checks["spool"], "read-only file system") {
		t.Fatalf("on a read-only disk: /readyz %d %+v, want 503 naming the read-only file system", code, v.Checks)
	}
}
