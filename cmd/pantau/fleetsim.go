package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/pantau/pantau/hub/fleetsim"
)

// cmdFleetsim runs the fleet simulation (hub/fleetsim) with this binary's
// own hub as a child process, and prints the report.
func cmdFleetsim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("fleetsim", stderr)
	sites := fs.Int("sites", 50, "sites (one agent and one bridged mosquitto each)")
	cams := fs.Int("cameras", 10, "cameras per site")
	dur := fs.Duration("duration", 10*time.Minute, "length of the traffic")
	interval := fs.Duration("interval", 10*time.Second, "counts interval")
	events := fs.Float64("events-per-min", 6, "line crossings per camera per minute")
	restarts := fs.Bool("restarts", true, "restart the central broker, a site broker and the hub mid-run")
	outage := fs.Duration("outage", 5*time.Second, "how long each restarted part stays down")
	dir := fs.String("dir", "", "work directory (default: a new temporary one, removed at the end)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "pantau-fleetsim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	r, err := fleetsim.Run(ctx, fleetsim.Config{Sites: *sites, Cameras: *cams, Duration: *dur, Interval: *interval,
		EventsPerMinute: *events, Restarts: *restarts, Outage: *outage, Dir: *dir, HubBinary: self,
		Log: slog.New(slog.NewTextHandler(stderr, nil))})
	if r != nil {
		r.Write(stdout)
	}
	if err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("the hub lost or doubled messages")
	}
	return nil
}
