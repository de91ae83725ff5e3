package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/configs"
)

// cmdDemo runs the whole chain on one machine with nothing installed but
// Pantau's own dependencies: a simulated camera, an embedded MQTT broker,
// the agent, and a live view of every message it publishes.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	clipPath := fs.String("clip", "testdata/clips/vtest_h264.mp4", "video clip the simulated camera plays (H.264 or H.265)")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until Ctrl-C)")
	httpAddr := fs.String("http", "", "web UI, metrics and health address; default a free port on 127.0.0.1 (a non-loopback address needs credentials)")
	logLevel := fs.String("log-level", "warn", "agent log level (debug, info, warn, error)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *httpAddr == "" {
		// A box may already run something on 9090 (Prometheus itself):
		// the demo takes any free port and says which.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		*httpAddr = l.Addr().String()
		l.Close()
	}
	if _, err := os.Stat(*clipPath); err != nil {
		return fmt.Errorf("demo clip %s: %w (run `make demo`, or scripts/setup.sh, to make it)", *clipPath, err)
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	cam, err := camsim.New(camsim.Config{Clip: *clipPath, Addr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	if err := cam.Start(ctx); err != nil {
		return fmt.Errorf("camera simulator: %w", err)
	}
	defer cam.Close()

	broker, err := startDemoBroker("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer broker.Close()
	var outMu sync.Mutex
	if err := broker.Subscribe("pantau/v1/#", func(topic string, payload []byte, retained bool) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintln(stdout, viewLine(time.Now(), topic, payload, retained))
	}); err != nil {
		return fmt.Errorf("live view: %w", err)
	}

	spool, err := os.MkdirTemp("", "pantau-demo-spool-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(spool)
	// The demo's own camera, broker, listener and spool replace the
	// addresses configs/demo.yaml names for a hand-run set-up. The result
	// is written to a file so the web UI's rule editor can edit it (and
	// the agent reload it) as on a real box.
	cfgPath, err := writeDemoConfig(spool, map[string]string{
		"listen: 127.0.0.1:9090":         "listen: " + *httpAddr,
		"url: tcp://127.0.0.1:1883":      "url: " + broker.URL(),
		"dir: spool":                     "dir: " + filepath.Join(spool, "spool"),
		"url: rtsp://127.0.0.1:8554/cam": "url: " + cam.URL(),
	})
	if err != nil {
		return fmt.Errorf("built-in demo config: %w", err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return fmt.Errorf("built-in demo config: %w", err)
	}
	fmt.Fprintf(stdout, "pantau demo: camera %s → agent → MQTT %s (topics pantau/v1/#)\n", cam.URL(), broker.URL())
	fmt.Fprintf(stdout, "web UI at http://%s/ (open on this machine, no login: it listens on loopback)\n", *httpAddr)
	fmt.Fprintf(stdout, "metrics at http://%s/metrics, health at /readyz; Ctrl-C stops\n\n", *httpAddr)
	err = runAgent(ctx, cfg, cfgPath, *logLevel, "text", stderr)
	fmt.Fprintln(stdout, "\npantau demo: stopped")
	return err
}

// writeDemoConfig writes configs/demo.yaml with each key of subst
// replaced by its value into dir, and returns the file's path.
func writeDemoConfig(dir string, subst map[string]string) (string, error) {
	text := string(configs.Demo)
	for from, to := range subst {
		if !strings.Contains(text, from) {
			return "", fmt.Errorf("configs/demo.yaml no longer holds %q", from)
		}
		text = strings.Replace(text, from, to, 1)
	}
	path := filepath.Join(dir, "demo.yaml")
	return path, os.WriteFile(path, []byte(text), 0o600)
}
