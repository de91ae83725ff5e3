package onvif_test

import (
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pantau/pantau/devices/onvif"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

// TestDiscoverMulticastNetns is discovery end to end by multicast, in a
// network namespace of its own (lo made multicast-capable): four simulated
// cameras on 127.0.0.2-5 with WS-Discovery responders on port 3702, one
// advertising 0.0.0.0 in its XAddrs, one demanding HTTP Digest and one
// configured with another password than the agent's. Discover must find
// all four and fix the address; Provision must pick profiles for three and
// report the fourth as ErrAuth.
func TestDiscoverMulticastNetns(t *testing.T) {
	if !onvifsim.InNetns() {
		onvifsim.ReexecInNetns(t, "TestDiscoverMulticastNetns")
		return
	}
	cfgs := []onvifsim.Config{
		{Captures: filepath.Join(captures, "IPG-8150PSS"), User: "admin", Password: "good"},
		{AdvertiseXAddr: "0.0.0.0", User: "admin", Password: "good", RTSPURL: "rtsp://127.0.0.3:8554/live"},
		{Captures: filepath.Join(captures, "SUNBA"), User: "admin", Password: "changed-by-someone"},
		{Captures: filepath.Join(captures, "happytimesoft"), User: "admin", Password: "good", HTTPDigest: true},
	}
	var sims []*onvifsim.Server
	for i, cfg := range cfgs {
		ip := "127.0.0." + strconv.Itoa(i+2)
		cfg.Addr, cfg.DiscoveryAddr = ip+":0", ip
		s := startSim(t, cfg)
		if err := s.MulticastErr(); err != nil {
			t.Fatalf("simulator %d did not join the multicast group: %v", i, err)
		}
		sims = append(sims, s)
	}
	ctx := probeCtx(t)
	got, err := onvif.Discover(ctx, onvif.DiscoverConfig{Interfaces: []string{"lo"}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sims) {
		t.Fatalf("discovered %d, want %d: %+v", len(got), len(sims), got)
	}
	for i, s := range sims {
		if got[i].UUID != s.UUID() || len(got[i].XAddrs) != 1 || got[i].XAddrs[0] != s.DeviceURL() {
			t.Errorf("device %d = %+v, want %s at %s", i, got[i], s.UUID(), s.DeviceURL())
		}
	}
	// The default configuration (every multicast interface) finds them too.
	all, err := onvif.Discover(ctx, onvif.DiscoverConfig{Timeout: time.Second})
	if err != nil || len(all) != len(sims) {
		t.Errorf("default interfaces: %d devices, %v", len(all), err)
	}

	res, err := onvif.Provision(ctx, onvif.ProvisionConfig{Discover: onvif.DiscoverConfig{Timeout: time.Second}, AnalysisWidth: 640},
		func(onvif.Discovered) []onvif.Credentials {
			return []onvif.Credentials{{User: "admin", Password: "good"}}
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(sims) {
		t.Fatalf("%d results, want %d", len(res), len(sims))
	}
	for i, r := range res {
		t.Logf("%s: uuid %s profile %s %s %dx%d %s err %v", sims[i].DeviceURL(), r.Discovered.UUID, r.Profile.Token,
			r.Profile.Encoding, r.Profile.Width, r.Profile.Height, r.Profile.StreamURI, r.Err)
		if r.Device == nil || r.Device.Address != sims[i].DeviceURL() || r.Device.UUID != sims[i].UUID() {
			t.Errorf("result %d device %+v, want %s", i, r.Device, sims[i].DeviceURL())
			continue
		}
		if i == 2 {
			if !errors.Is(r.Err, onvif.ErrAuth) {
				t.Errorf("wrong-password camera: err = %v, want ErrAuth", r.Err)
			}
			continue
		}
		if r.Err != nil || r.Profile.StreamURI == "" {
			t.Errorf("camera %d: %v, profile %+v", i, r.Err, r.Profile)
		}
	}
}
