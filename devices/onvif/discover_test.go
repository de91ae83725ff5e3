package onvif_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/devices/onvif"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
	"github.com/pantau/pantau/devices/onvif/wsdiscovery"
)

// loopbackCams starts simulated cameras on 127.0.0.2, .3, ... sharing one
// WS-Discovery port (unicast only: these tests must not multicast onto the
// host's real network; discovery_netns_test.go covers multicast).
func loopbackCams(t *testing.T, cfgs ...onvifsim.Config) ([]*onvifsim.Server, int) {
	t.Helper()
	var sims []*onvifsim.Server
	port := 0
	for i, cfg := range cfgs {
		ip := "127.0.0." + strconv.Itoa(i+2)
		cfg.Addr = ip + ":0"
		cfg.DiscoveryAddr = ip + ":" + strconv.Itoa(port)
		s := startSim(t, cfg)
		if port == 0 {
			_, ps, _ := net.SplitHostPort(s.DiscoveryAddr())
			port, _ = strconv.Atoi(ps)
		}
		sims = append(sims, s)
	}
	return sims, port
}

func TestDiscoverUnicastCIDR(t *testing.T) {
	sims, port := loopbackCams(t,
		onvifsim.Config{Captures: filepath.Join(captures, "SUNBA")},
		onvifsim.Config{Captures: filepath.Join(captures, "IPG-8150PSS"), AdvertiseXAddr: "0.0.0.0"},
		onvifsim.Config{Captures: filepath.Join(captures, "happytimesoft"), AdvertiseXAddr: "192.168.77.9"},
	)
	ctx := probeCtx(t)
	// The CIDR and the explicit host overlap: answers must be deduplicated.
	got, err := onvif.Discover(ctx, onvif.DiscoverConfig{
		NoMulticast: true, Probe: []string{"127.0.0.0/29", "127.0.0.3"}, Port: port, Timeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sims) {
		t.Fatalf("discovered %d devices, want %d: %+v", len(got), len(sims), got)
	}
	for i, s := range sims {
		d := got[i]
		if d.UUID != s.UUID() || d.From != "127.0.0."+strconv.Itoa(i+2) {
			t.Errorf("device %d = %+v, want uuid %s", i, d, s.UUID())
		}
		// 0.0.0.0 and a foreign private address are fixed to the sender.
		if len(d.XAddrs) != 1 || d.XAddrs[0] != s.DeviceURL() {
			t.Errorf("device %d xaddrs %q, want [%s]", i, d.XAddrs, s.DeviceURL())
		}
		if len(d.Scopes) == 0 || !strings.Contains(strings.Join(d.Types, " "), "NetworkVideoTransmitter") {
			t.Errorf("device %d types %q scopes %q", i, d.Types, d.Scopes)
		}
	}
}

// TestDiscoverSpoofedAndJunk: answers that point at non-ONVIF ports are
// reported by Discover (it cannot know) and then fail Probe with a clear
// error; junk datagrams and answers to other probes are ignored.
func TestDiscoverSpoofedAndJunk(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html><body>It works!</body></html>"))
	}))
	defer html.Close()
	closer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	go func() {
		for {
			c, err := closer.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFromUDP(buf)
			if err != nil {
				return
			}
			p, err := wsdiscovery.ParseProbe(buf[:n])
			if err != nil {
				continue
			}
			_, _ = pc.WriteToUDP([]byte("<garbage"), from)
			_, _ = pc.WriteToUDP(wsdiscovery.NewProbeMatches("urn:uuid:x", "urn:uuid:someone-else", wsdiscovery.Match{Address: "urn:uuid:other", XAddrs: []string{"http://127.0.0.1:1/"}}), from)
			for _, m := range []wsdiscovery.Match{
				{Address: "urn:uuid:spoof-html", XAddrs: []string{html.URL + "/onvif/device_service"}},
				{Address: "urn:uuid:spoof-close", XAddrs: []string{"http://" + closer.Addr().String() + "/onvif/device_service"}},
			} {
				_, _ = pc.WriteToUDP(wsdiscovery.NewProbeMatches(wsdiscovery.NewUUID(), p.MessageID, m), from)
			}
		}
	}()
	ctx := probeCtx(t)
	got, err := onvif.Discover(ctx, onvif.DiscoverConfig{NoMulticast: true, Probe: []string{pc.LocalAddr().String()}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v, want the two spoofed answers only", got)
	}
	for _, d := range got {
		_, err := onvif.Probe(ctx, d.XAddrs[0], "", "", onvif.WithTimeout(2*time.Second))
		switch d.UUID {
		case "urn:uuid:spoof-html":
			if !errors.Is(err, onvif.ErrNotSOAP) {
				t.Errorf("html port: err = %v, want ErrNotSOAP", err)
			}
		case "urn:uuid:spoof-close":
			if err == nil {
				t.Error("closing port: no error")
			}
		}
	}
}

func TestDiscoverConfigErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		cfg  onvif.DiscoverConfig
		want string
	}{
		{onvif.DiscoverConfig{Probe: []string{"10.0.0.0/8"}}, "16777216 addresses"},
		{onvif.DiscoverConfig{Probe: []string{"10.0.0.0/20", "10.1.0.0/20"}}, "at most 4096"},
		{onvif.DiscoverConfig{Probe: []string{"127.0.0.1:99999"}}, "bad port"},
		{onvif.DiscoverConfig{Probe: []string{"fe80::/64"}}, "only IPv4"},
		{onvif.DiscoverConfig{Interfaces: []string{"nosuch0"}}, `no interface "nosuch0"`},
		{onvif.DiscoverConfig{NoMulticast: true}, "nothing to probe"},
	} {
		_, err := onvif.Discover(ctx, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestProvisionLoopback(t *testing.T) {
	sims, port := loopbackCams(t,
		onvifsim.Config{Captures: filepath.Join(captures, "IPG-8150PSS"), User: "admin", Password: "good"},
		onvifsim.Config{AdvertiseXAddr: "0.0.0.0", User: "admin", Password: "good", RTSPURL: "rtsp://127.0.0.3:8554/live"},
		onvifsim.Config{Captures: filepath.Join(captures, "SUNBA"), User: "admin", Password: "other"},
	)
	direct := startSim(t, onvifsim.Config{Captures: filepath.Join(captures, "happytimesoft"), User: "admin", Password: "good"})
	res, err := onvif.Provision(probeCtx(t), onvif.ProvisionConfig{
		Discover:      onvif.DiscoverConfig{NoMulticast: true, Probe: []string{"127.0.0.0/29"}, Port: port, Timeout: time.Second},
		Devices:       []string{direct.DeviceURL(), sims[0].DeviceURL()},
		AnalysisWidth: 640,
	}, func(onvif.Discovered) []onvif.Credentials {
		return []onvif.Credentials{{User: "admin", Password: "nope"}, {User: "admin", Password: "good"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4: %+v", len(res), res)
	}
	want := map[string]string{ // device URL -> chosen profile token, "auth" for ErrAuth
		sims[0].DeviceURL(): "PROFILE_001",
		sims[1].DeviceURL(): "main",
		sims[2].DeviceURL(): "auth",
		direct.DeviceURL():  "ProfileToken_2", // 640 wide: exactly the analysis width
	}
	for _, r := range res {
		if r.Device == nil {
			t.Errorf("result without device: %+v", r)
			continue
		}
		w := want[r.Device.Address]
		switch {
		case w == "auth":
			if !errors.Is(r.Err, onvif.ErrAuth) {
				t.Errorf("%s: err = %v, want ErrAuth", r.Device.Address, r.Err)
			}
		case r.Err != nil || r.Profile.Token != w || r.Credentials.Password != "good":
			t.Errorf("%s: profile %q creds %q err %v, want %s", r.Device.Address, r.Profile.Token, r.Credentials.Password, r.Err, w)
		}
	}
}

func TestScopeValues(t *testing.T) {
	d := onvif.Discovered{Scopes: []string{
		"onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/name/Front%20Door",
		"onvif://www.onvif.org/MAC/00:11:22:aa:bb:cc", "onvif://www.onvif.org/location/", "http://other/name/x",
	}}
	if got := d.ScopeValues("name"); len(got) != 1 || got[0] != "Front Door" {
		t.Errorf("name = %q", got)
	}
	if got := d.ScopeValues("mac"); len(got) != 1 || got[0] != "00:11:22:aa:bb:cc" {
		t.Errorf("mac = %q", got)
	}
	if got := d.ScopeValues("location"); got != nil {
		t.Errorf("empty location = %q", got)
	}
}
