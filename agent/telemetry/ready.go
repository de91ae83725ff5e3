package telemetry

import (
	"fmt"
	"os"
	"sort"
)

// ReadyFunc reports whether the agent is ready and, per check, why. The
// server calls it for every /readyz request; it must be quick and safe for
// concurrent use.
type ReadyFunc func() (ready bool, checks map[string]string)

// ReadyOptions configures the readiness checks of Metrics.Ready.
type ReadyOptions struct {
	// SpoolDir must be writable; empty skips the check.
	SpoolDir string
	// SpoolMaxBytes is the spool limit. While the broker is unreachable the
	// agent stays ready as long as the spool is below SpoolFullRatio of it.
	SpoolMaxBytes int64
	// SpoolFullRatio defaults to 0.9.
	SpoolFullRatio float64
}

// Ready returns readiness computed from what the agent reported to m:
//   - config: a config was loaded (ConfigLoaded(true) at least once);
//   - cameras: at least one camera's stream is up, or none is configured;
//   - spool: SpoolDir is writable;
//   - mqtt: the broker is connected, or the spool is within its limit.
func (m *Metrics) Ready(opts ReadyOptions) ReadyFunc {
	if opts.SpoolFullRatio == 0 {
		opts.SpoolFullRatio = 0.9
	}
	return func() (bool, map[string]string) {
		ready := true
		checks := map[string]string{}
		fail := func(name, format string, args ...any) {
			ready = false
			checks[name] = "not ready: " + fmt.Sprintf(format, args...)
		}

		m.mu.Lock()
		cfg := m.config
		m.mu.Unlock()
		switch {
		case !cfg.loaded:
			fail("config", "no valid config loaded yet")
		case !cfg.lastOK:
			checks["config"] = "ok: last reload refused, running the previous config"
		default:
			checks["config"] = "ok: loaded"
		}

		cams := m.Cameras()
		online := 0
		var down []string
		for name, up := range cams {
			if up {
				online++
			} else {
				down = append(down, name)
			}
		}
		sort.Strings(down)
		switch {
		case len(cams) == 0:
			checks["cameras"] = "ok: no cameras configured"
		case online == 0:
			fail("cameras", "none of %d cameras online (offline: %v)", len(cams), down)
		case len(down) > 0:
			checks["cameras"] = fmt.Sprintf("ok: %d of %d cameras online (offline: %v)", online, len(cams), down)
		default:
			checks["cameras"] = fmt.Sprintf("ok: %d of %d cameras online", online, len(cams))
		}

		q := m.mqtt
		sp := q.Spool()
		if opts.SpoolDir != "" {
			switch err := writable(opts.SpoolDir); {
			case err != nil:
				fail("spool", "%v", err)
			case sp.DiskProblem != "":
				fail("spool", "%s", sp.DiskProblem)
			default:
				checks["spool"] = "ok: writable"
			}
		}

		switch {
		case q.IsConnected():
			checks["mqtt"] = "ok: connected"
		case opts.SpoolMaxBytes > 0 && float64(sp.Bytes) >= opts.SpoolFullRatio*float64(opts.SpoolMaxBytes):
			fail("mqtt", "broker unreachable and spool at %.0f%% of its limit (%d messages)",
				100*float64(sp.Bytes)/float64(opts.SpoolMaxBytes), sp.Messages)
		default:
			checks["mqtt"] = fmt.Sprintf("ok: broker unreachable, spooling (%d messages, %d bytes)", sp.Messages, sp.Bytes)
		}
		return ready, checks
	}
}

// probeBytes is what writable writes: a block, since on a full filesystem
// an empty file can still be created.
const probeBytes = 4096

// writable checks that dir takes a real write of probeBytes.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".readyz-*")
	if err != nil {
		return fmt.Errorf("spool directory not writable: %v", unwrapPathErr(err))
	}
	name := f.Name()
	_, err = f.Write(make([]byte, probeBytes))
	f.Close()
	os.Remove(name) // where the create worked the remove does too, short of an I/O error
	if err != nil {
		return fmt.Errorf("spool directory takes no writes: %v", unwrapPathErr(err))
	}
	return nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}
