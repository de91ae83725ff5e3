package onvif

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// ErrNoProfile is the Result error of a device that answered but has no
// H.264/H.265 profile with a stream URI.
var ErrNoProfile = errors.New("onvif: no H.264/H.265 profile with a stream URI")

// Credentials is one user/password pair to try on a device.
type Credentials struct {
	User, Password string
}

// ProvisionConfig configures Provision.
type ProvisionConfig struct {
	// Discover configures WS-Discovery.
	Discover DiscoverConfig
	// NoDiscovery skips WS-Discovery; only Devices are probed.
	NoDiscovery bool
	// Devices are device service URLs to probe directly (cameras no probe
	// reaches). Duplicates of discovered XAddrs are probed once.
	Devices []string
	// AnalysisWidth chooses the profile (Device.PickProfile). It defaults
	// to 640.
	AnalysisWidth int
	// Concurrency bounds how many devices are probed at once. It defaults
	// to 4.
	Concurrency int
	// Options apply to every Probe (timeouts, HTTP client).
	Options []Option
}

// Result is the outcome for one device.
type Result struct {
	// Discovered is the WS-Discovery answer (only XAddrs for Devices).
	Discovered Discovered
	// Device is what Probe learnt; nil if nothing (then Err says why).
	// With a wrong password it holds at least the Address.
	Device *Device
	// Profile is the chosen profile when Err is nil.
	Profile Profile
	// Credentials are the ones the device accepted.
	Credentials Credentials
	// Err is nil, or matches ErrAuth (no candidate accepted), ErrNoProfile,
	// ErrNotSOAP, or is a network/timeout error.
	Err error
}

// Provision discovers devices (and adds cfg.Devices), probes each with the
// candidate credentials creds returns (tried in order until one is not
// refused; nil creds or no candidates means no credentials) and picks the
// profile to analyse. It returns one Result per device, sorted by address;
// the error is only for discovery failing with nothing to probe.
//
// Trying several passwords can lock accounts on some cameras: return the
// most specific candidate first (by address, then a default).
func Provision(ctx context.Context, cfg ProvisionConfig, creds func(Discovered) []Credentials) ([]Result, error) {
	if cfg.AnalysisWidth <= 0 {
		cfg.AnalysisWidth = 640
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	var found []Discovered
	if !cfg.NoDiscovery {
		ds, err := Discover(ctx, cfg.Discover)
		if err != nil && len(cfg.Devices) == 0 {
			return nil, err
		}
		found = ds
	}
	seen := map[string]bool{}
	for _, d := range found {
		for _, x := range d.XAddrs {
			seen[x] = true
		}
	}
	for _, u := range cfg.Devices {
		if !seen[u] {
			seen[u] = true
			found = append(found, Discovered{XAddrs: []string{u}})
		}
	}

	results := make([]Result, len(found))
	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	for i, d := range found {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = Result{Discovered: d, Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			results[i] = provisionOne(ctx, cfg, d, creds)
		}()
	}
	wg.Wait()
	sort.SliceStable(results, func(i, j int) bool { return resultAddr(results[i]) < resultAddr(results[j]) })
	return results, nil
}

func resultAddr(r Result) string {
	if r.Device != nil {
		return r.Device.Address
	}
	if len(r.Discovered.XAddrs) > 0 {
		return r.Discovered.XAddrs[0]
	}
	return r.Discovered.UUID
}

func provisionOne(ctx context.Context, cfg ProvisionConfig, d Discovered, creds func(Discovered) []Credentials) Result {
	res := Result{Discovered: d}
	if len(d.XAddrs) == 0 {
		res.Err = fmt.Errorf("onvif: device %s advertised no XAddrs", d.UUID)
		return res
	}
	var cands []Credentials
	if creds != nil {
		cands = creds(d)
	}
	if len(cands) == 0 {
		cands = []Credentials{{}}
	}
	// Try each address until one answers as ONVIF, and on it each
	// candidate until one is not refused.
	for _, x := range d.XAddrs {
		for _, c := range cands {
			dev, err := Probe(ctx, x, c.User, c.Password, cfg.Options...)
			if dev != nil {
				dev.UUID = d.UUID
			}
			res.Device, res.Err, res.Credentials = dev, err, c
			if err == nil || !errors.Is(err, ErrAuth) {
				break
			}
		}
		if res.Err == nil || errors.Is(res.Err, ErrAuth) {
			break
		}
	}
	if res.Err != nil {
		res.Credentials = Credentials{}
		return res
	}
	p, ok := res.Device.PickProfile(cfg.AnalysisWidth)
	if !ok {
		res.Err = fmt.Errorf("%w (device %s)", ErrNoProfile, res.Device.Address)
		return res
	}
	res.Profile = p
	return res
}
