package agent

import (
	"context"
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"net"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/retry"
	"github.com/pantau/pantau/devices/onvif"
)

// missesBeforeOffline is how many discovery rounds in a row a camera may be
// missing before it counts as gone: one lost UDP answer must not stop a
// camera.
const missesBeforeOffline = 2

// runDiscovery rediscovers ONVIF cameras every discovery.interval until ctx
// ends, starting pipelines for new cameras.
func (a *Agent) runDiscovery(ctx context.Context) {
	for {
		cfg := a.config()
		if _, err := a.discoverRound(ctx, cfg.Discovery.Timeout); err != nil && ctx.Err() == nil {
			a.log.Warn("discovery round failed", "err", err)
		}
		if !retry.Sleep(ctx, cfg.Discovery.Interval) {
			return
		}
	}
}

// discoverRound runs one discovery and applies its results.
func (a *Agent) discoverRound(ctx context.Context, timeout time.Duration) ([]onvif.Result, error) {
	cfg := a.config()
	d := cfg.Discovery
	res, err := onvif.Provision(ctx, onvif.ProvisionConfig{
		Discover:      onvif.DiscoverConfig{Interfaces: d.Interfaces, Probe: d.Probe, Timeout: timeout},
		AnalysisWidth: cfg.Defaults.AnalysisWidth,
	}, func(dv onvif.Discovered) []onvif.Credentials { return credentialsFor(d, dv) })
	if err != nil {
		return nil, err
	}
	a.applyDiscovered(ctx, cfg, res)
	return res, nil
}

// credentialsFor lists the logins to try on a device, most specific first:
// entries matching its address, or a MAC or serial it announces in its
// WS-Discovery scopes; then the other MAC and serial entries (a device
// tells its serial only once logged in); then the default. Trying several
// passwords can lock an account on some cameras, which is why the
// specific ones come first.
func credentialsFor(d config.DiscoveryConfig, dv onvif.Discovered) []onvif.Credentials {
	known := map[string]bool{strings.ToLower(dv.From): true}
	if len(dv.XAddrs) > 0 {
		known[strings.ToLower(hostOf(dv.XAddrs[0]))] = true
	}
	for _, kind := range []string{"MAC", "serial", "hardware", "name"} {
		for _, v := range dv.ScopeValues(kind) {
			known[strings.ToLower(v)] = true
		}
	}
	var specific, other []onvif.Credentials
	for _, c := range d.Credentials {
		cr := onvif.Credentials{User: c.Username, Password: c.Password}
		switch {
		case known[strings.ToLower(c.Match)]:
			specific = append(specific, cr)
		case net.ParseIP(c.Match) == nil:
			other = append(other, cr)
		}
	}
	out := append(specific, other...)
	if d.DefaultCredentials.Username != "" {
		out = append(out, onvif.Credentials{User: d.DefaultCredentials.Username, Password: d.DefaultCredentials.Password})
	}
	return out
}

// applyDiscovered starts, keeps or restarts a pipeline per discovered
// camera, reports cameras refusing our credentials as auth_failed, and
// stops cameras missing from several rounds in a row. Cameras listed in
// the config keep priority: a discovered camera with the same name or host
// is left alone.
func (a *Agent) applyDiscovered(ctx context.Context, cfg *config.Config, res []onvif.Result) {
	configured := map[string]bool{}
	for _, c := range cfg.Cameras {
		configured[c.Name] = true
		configured[hostOf(c.URL)] = true
		if c.ONVIF != "" {
			configured[hostOf(c.ONVIF)] = true
		}
	}
	seen := map[string]bool{}
	used := map[string]bool{}
	for name := range configured {
		used[name] = true
	}
	var stop []*running
	a.mu.Lock()
	for _, r := range res {
		if r.Device == nil || configured[hostOf(r.Device.Address)] {
			if r.Err != nil && r.Device == nil {
				a.log.Warn("discovered device did not answer", "xaddrs", r.Discovered.XAddrs, "err", r.Err)
			}
			continue
		}
		name := onvif.UniqueCameraName(r.Device, used)
		if configured[name] {
			continue
		}
		seen[name] = true
		dev := deviceInfo{Manufacturer: r.Device.Manufacturer, Model: r.Device.Model, Serial: r.Device.Serial, Profile: r.Profile.Token}
		cur, running := a.cams[name]
		switch {
		case errors.Is(r.Err, onvif.ErrAuth):
			if running {
				stop = append(stop, cur)
				delete(a.cams, name)
			}
			if !a.authFailed[name] {
				a.authFailed[name] = true
				go a.publishDiscoveredStatus(cfg, name, dev, event.StateAuthFailed, "ONVIF refused the configured credentials")
			}
		case r.Err != nil:
			a.log.Warn("discovered camera unusable", "camera", name, "device", r.Device.Address, "err", r.Err)
		default:
			delete(a.authFailed, name)
			cc := cfg.Defaults
			cc.Name = name
			cc.URL = r.Profile.StreamURI
			cc.Username, cc.Password = r.Credentials.User, r.Credentials.Password
			config.FillCameraDefaults(&cc)
			if running && reflect.DeepEqual(cur.cam.config(), cc) {
				cur.misses = 0
				continue
			}
			if running {
				stop = append(stop, cur)
			}
			a.log.Info("discovered camera", "camera", name, "manufacturer", dev.Manufacturer, "model", dev.Model,
				"profile", dev.Profile, "stream", urlcred.RedactText(cc.URL))
			a.startCamera(ctx, cfg, cc, event.SourceDiscovery, dev)
		}
	}
	var gone []*running
	for name, r := range a.cams {
		if r.cam.source != event.SourceDiscovery || seen[name] {
			continue
		}
		if r.misses++; r.misses >= missesBeforeOffline {
			gone = append(gone, r)
			delete(a.cams, name)
		}
	}
	a.mu.Unlock()
	for _, r := range stop {
		r.stop()
	}
	for _, r := range gone {
		r.stop()
		a.log.Warn("discovered camera gone", "camera", r.cam.cfg.Name)
		a.publishDiscoveredStatus(cfg, r.cam.cfg.Name, r.cam.device, event.StateOffline, "no longer found by discovery")
	}
}

func (a *Agent) publishDiscoveredStatus(cfg *config.Config, name string, dev deviceInfo, state, why string) {
	msg := event.NewCameraStatus(cfg.Site, cfg.Agent, name, time.Now(), event.CameraStatus{
		State: state, Error: why, Source: event.SourceDiscovery,
		Manufacturer: dev.Manufacturer, Model: dev.Model, Serial: dev.Serial, Profile: dev.Profile,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.mq.Publish(ctx, msg); err != nil {
		a.log.Warn("publishing camera status", "camera", name, "err", err)
	}
}

// discoverNow runs a discovery round now (the discover command).
func (a *Agent) discoverNow(ctx context.Context, cmd event.Command) (any, error) {
	timeout := a.config().Discovery.Timeout
	if cmd.TimeoutS > 0 {
		timeout = time.Duration(cmd.TimeoutS * float64(time.Second))
	}
	res, err := a.discoverRound(ctx, timeout)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	type found struct {
		Address      string `json:"address"`
		Manufacturer string `json:"manufacturer,omitempty"`
		Model        string `json:"model,omitempty"`
		Serial       string `json:"serial,omitempty"`
		Profile      string `json:"profile,omitempty"`
		Error        string `json:"error,omitempty"`
	}
	out := []found{}
	for _, r := range res {
		f := found{Profile: r.Profile.Token}
		if r.Device != nil {
			f.Address, f.Manufacturer, f.Model, f.Serial = r.Device.Address, r.Device.Manufacturer, r.Device.Model, r.Device.Serial
		} else if len(r.Discovered.XAddrs) > 0 {
			f.Address = r.Discovered.XAddrs[0]
		}
		if r.Err != nil {
			f.Error = urlcred.RedactText(r.Err.Error())
		}
		out = append(out, f)
	}
	return map[string]any{"devices": out}, nil
}

// hostOf returns the host of a URL, or "" when it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
