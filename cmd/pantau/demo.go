package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
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
	httpAddr := fs.String("http", "", "metrics and health address (/metrics, /readyz); default a free port on 127.0.0.1")
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
	cfg, err := config.Parse(configs.Demo)
	if err != nil {
		return fmt.Errorf("built-in demo config: %w", err)
	}
	// The demo's own camera, broker, listener and spool replace the
	// addresses configs/demo.yaml names for a hand-run set-up.
	cfg.MQTT.URL, cfg.HTTP.Listen, cfg.Spool.Dir = broker.URL(), *httpAddr, spool
	cfg.Cameras[0].URL = cam.URL()
	fmt.Fprintf(stdout, "pantau demo: camera %s → agent → MQTT %s (topics pantau/v1/#)\n", cam.URL(), broker.URL())
	fmt.Fprintf(stdout, "metrics at http://%s/metrics, health at /readyz; Ctrl-C stops\n\n", *httpAddr)
	err = runAgent(ctx, cfg, "", *logLevel, "text", stderr)
	fmt.Fprintln(stdout, "\npantau demo: stopped")
	return err
}
