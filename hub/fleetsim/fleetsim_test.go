package fleetsim

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestFleet runs a small province (5 sites × 3 cameras, 30 s) through real
// mosquittos, bridged, with the agent's real publish path, restarting the
// central broker, a site's broker and the hub mid-run: nothing may be lost
// or stored twice. PANTAU_LONG_TESTS=1 runs the province the issue names
// (50 × 10 for 10 minutes; PANTAU_FLEET_MINUTES changes the length).
func TestFleet(t *testing.T) {
	cfg := Config{Sites: 5, Cameras: 3, Duration: 30 * time.Second, Restarts: true, Outage: 2 * time.Second}
	if os.Getenv("PANTAU_LONG_TESTS") == "1" {
		cfg.Sites, cfg.Cameras, cfg.Duration, cfg.Outage = 50, 10, 10*time.Minute, 5*time.Second
		if m, err := strconv.Atoi(os.Getenv("PANTAU_FLEET_MINUTES")); err == nil {
			cfg.Duration = time.Duration(m) * time.Minute
		}
	}
	cfg.Dir = t.TempDir()
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r, err := Run(context.Background(), cfg)
	if r != nil {
		var b bytes.Buffer
		r.Write(&b)
		t.Logf("\n%s", b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("lost %d, stored twice %d, unexpected %d, stored %d of %d", r.Lost, r.StoredTwice, r.Unexpected, r.Stored, r.Sent)
	}
	if len(r.Faults) != 3 {
		t.Errorf("faults %v, want 3 restarts", r.Faults)
	}
	if r.SteadyP95 >= 2 {
		t.Errorf("lag p95 away from restarts %.2f s, want < 2 s", r.SteadyP95)
	}
	// Each camera sends a counts message every 10 s: at least two each.
	if r.CountsStored < int64(2*cfg.Sites*cfg.Cameras) || r.EventsStored == 0 {
		t.Errorf("counts %d, events %d: the fleet did not send", r.CountsStored, r.EventsStored)
	}
}
