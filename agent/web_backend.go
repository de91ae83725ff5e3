package agent

import (
	"context"
	"errors"
	"time"

	"github.com/pantau/pantau/agent/analysis"
	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/agent/live"
	"github.com/pantau/pantau/agent/web"
	"github.com/pantau/pantau/devices/onvif"
	"github.com/pantau/pantau/devices/urlcred"
)

// webBackend is the agent as the web UI sees it (web.Backend).
type webBackend struct{ a *Agent }

// Live is the agent's hub of live taps.
func (b webBackend) Live() *live.Hub { return b.a.live }

// ConfigPath is the file the agent runs from (empty: none).
func (b webBackend) ConfigPath() string { return b.a.opts.ConfigPath }

// Reload applies the config file as SIGHUP does.
func (b webBackend) Reload(ctx context.Context) error { return b.a.Reload(ctx) }

// Check validates a config file as `pantau check` does: config.Load,
// then every camera's analysis chain.
func (b webBackend) Check(path string) []error {
	cfg, err := config.Load(path)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			return errs
		}
		return []error{err}
	}
	return analysis.Check(cfg)
}

// Cameras lists the running cameras with their status and live counts.
func (b webBackend) Cameras() []web.Camera {
	now := time.Now()
	b.a.mu.Lock()
	cams := make([]*camera, 0, len(b.a.cams))
	for _, r := range b.a.cams {
		cams = append(cams, r.cam)
	}
	b.a.mu.Unlock()
	out := make([]web.Camera, 0, len(cams))
	for _, c := range cams {
		st := c.status(now)
		wc := web.Camera{
			Name: c.cfg.Name, State: st.State, Source: st.Source, Width: st.Width, Height: st.Height,
			Codec: st.Codec, Decode: st.DecodeMode, FPS: st.FPS, Error: st.Error, LastFrameAgeS: -1,
		}
		last := c.report.lastFrameAt()
		if !last.IsZero() {
			wc.LastFrame, wc.LastFrameAgeS = last, now.Sub(last).Seconds()
		}
		t := b.a.live.Tap(c.cfg.Name)
		wc.Counts = t.Counts()
		if f := t.Last(); f != nil {
			wc.Occupancy = f.Occupancy
		}
		out = append(out, wc)
	}
	sortCameras(out)
	return out
}

func sortCameras(cs []web.Camera) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Name < cs[j-1].Name; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// Discover runs one discovery round; the accepted login stays server-side.
func (b webBackend) Discover(ctx context.Context) ([]web.Found, error) {
	res, err := b.a.discoverRound(ctx, b.a.config().Discovery.Timeout)
	if err != nil {
		return nil, err
	}
	out := make([]web.Found, 0, len(res))
	for _, r := range res {
		f := web.Found{Profile: r.Profile.Token, Auth: "none"}
		if r.Device != nil {
			f.Address, f.Manufacturer, f.Model, f.Serial, f.Profiles = r.Device.Address, r.Device.Manufacturer, r.Device.Model, r.Device.Serial, r.Device.Profiles
		} else if len(r.Discovered.XAddrs) > 0 {
			f.Address = r.Discovered.XAddrs[0]
		}
		switch {
		case errors.Is(r.Err, onvif.ErrAuth):
			f.Auth = "failed"
		case r.Credentials.User != "":
			f.Auth = "ok"
			f.Username, f.Password, f.PasswordSet = r.Credentials.User, r.Credentials.Password, r.Credentials.Password != ""
		}
		if r.Err != nil {
			f.Error = urlcred.RedactText(r.Err.Error())
		}
		out = append(out, f)
	}
	return out, nil
}
