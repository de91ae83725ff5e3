package onvifsim

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/devices/onvif/wsdiscovery"
)

// The simulator's happy paths are exercised by devices/onvif's tests (Probe,
// Discover, Provision against it). These cover its own input checking.

func run(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Captures: "no/such/dir"}, "no device_management folder"},
		{Config{DiscoveryAddr: "not-an-ip"}, "want IPv4[:PORT]"},
		{Config{DiscoveryAddr: "::1"}, "want IPv4[:PORT]"},
		{Config{Addr: "256.0.0.1:0"}, "listen"},
	} {
		s, err := New(c.cfg)
		if err == nil {
			s.Close()
			t.Errorf("%+v: no error", c.cfg)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %q, want %q", c.cfg, err, c.want)
		}
	}
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/soap+xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBadRequests(t *testing.T) {
	s := run(t, Config{User: "u", Password: "p"})
	resp, err := http.Get(s.DeviceURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		body   string
		status int
		want   string
	}{
		{"not xml", 400, "ter:WellFormed"},
		{`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`, 400, "ter:WellFormed"},
		{`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x:Op xmlns:x="urn:other"/></s:Body></s:Envelope>`, 500, "ActionNotSupported"},
		// No token: refused like a wrong password.
		{`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>`, 400, "ter:NotAuthorized"},
		// GetSystemDateAndTime needs no token.
		{`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>`, 200, "UTCDateTime"},
	} {
		status, body := post(t, s.DeviceURL(), c.body)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%.60s: HTTP %d %.200s, want %d with %q", c.body, status, body, c.status, c.want)
		}
	}
}

func TestDiscoveryResponderIgnoresJunk(t *testing.T) {
	s := run(t, Config{DiscoveryAddr: "127.0.0.1:0"})
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(mustAddrPort(t, s.DiscoveryAddr())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Junk and a probe for printers get no answer; an ONVIF probe does.
	_, _ = c.Write([]byte("<garbage"))
	_, _ = c.Write(wsdiscovery.NewProbe("urn:uuid:printer", "tds:Printer"))
	_, _ = c.Write(wsdiscovery.NewProbe("urn:uuid:cam", wsdiscovery.TypeNVT))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := wsdiscovery.ParseProbeMatches(buf[:n])
	if err != nil || pm.RelatesTo != "urn:uuid:cam" || pm.Matches[0].Address != s.UUID() {
		t.Fatalf("answer %+v %v", pm, err)
	}
	if x := pm.Matches[0].XAddrs; len(x) != 1 || x[0] != s.DeviceURL() {
		t.Errorf("xaddrs %q, want %s", x, s.DeviceURL())
	}
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// TestWildcardListenAnswersWithClientHost: listening on 0.0.0.0, XAddrs and
// a loopback RTSPURL name the host the client used, so cameras simulated
// for other machines hand out reachable addresses.
func TestWildcardListenAnswersWithClientHost(t *testing.T) {
	s := run(t, Config{Addr: "0.0.0.0:0", RTSPURL: "rtsp://127.0.0.1:8554/cam"})
	if strings.Contains(s.DeviceURL(), "0.0.0.0") || strings.Contains(s.DeviceURL(), "[::]") {
		t.Errorf("DeviceURL %s names the wildcard", s.DeviceURL())
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimSuffix(s.DeviceURL(), "/onvif/device_service"), "http://"))
	send := func(body string) string {
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+port+"/onvif/device_service", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "192.0.2.50:8080"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	const env = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>%s</s:Body></s:Envelope>`
	if b := send(strings.Replace(env, "%s", `<GetServices xmlns="http://www.onvif.org/ver10/device/wsdl"/>`, 1)); !strings.Contains(b, "http://192.0.2.50:8080/onvif/media_service") {
		t.Errorf("GetServices: %s", b)
	}
	if b := send(strings.Replace(env, "%s", `<GetStreamUri xmlns="http://www.onvif.org/ver20/media/wsdl"><ProfileToken>main</ProfileToken></GetStreamUri>`, 1)); !strings.Contains(b, "rtsp://192.0.2.50:8554/cam") {
		t.Errorf("GetStreamUri: %s", b)
	}
}

func TestCloseStopsRun(t *testing.T) {
	s, err := New(Config{DiscoveryAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	time.Sleep(10 * time.Millisecond) // let Run start serving (either order must work)
	s.Close()
	s.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Close")
	}
}
