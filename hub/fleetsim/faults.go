package fleetsim

import (
	"context"
	"time"

	"github.com/pantau/pantau/agent/testbroker"
)

// Fault is one restart done during the run.
type Fault struct {
	What       string
	Start, End time.Time
}

// inject restarts the central broker, a site broker (its bridge) and the
// hub at 30, 50 and 70 % of the run, when cfg.Restarts is set.
func inject(ctx context.Context, cfg Config, start time.Time, central, site *testbroker.Broker, h *hubRun) []Fault {
	if !cfg.Restarts {
		return nil
	}
	var out []Fault
	steps := []struct {
		at   float64
		what string
		down func()
		up   func() error
	}{
		{0.3, "central broker", central.Stop, central.Restart},
		{0.5, "site-00 broker and its bridge", site.Stop, site.Restart},
		{0.7, "hub", h.stop, func() error { return h.start(context.Background()) }},
	}
	for _, s := range steps {
		at := start.Add(time.Duration(s.at * float64(cfg.Duration)))
		select {
		case <-ctx.Done():
			return out
		case <-time.After(time.Until(at)):
		}
		f := Fault{What: s.what, Start: time.Now()}
		cfg.Log.Info("restart", "what", s.what, "down_for", cfg.Outage)
		s.down()
		time.Sleep(cfg.Outage)
		if err := s.up(); err != nil {
			cfg.Log.Error("restart failed", "what", s.what, "err", err)
		}
		f.End = time.Now()
		out = append(out, f)
	}
	return out
}
