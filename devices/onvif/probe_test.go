package onvif_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/devices/onvif"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

// startSim runs a simulated camera until the test ends.
func startSim(t testing.TB, cfg onvifsim.Config) *onvifsim.Server {
	t.Helper()
	s, err := onvifsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator Run: %v", err)
		}
	})
	return s
}

func probeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestProbeCaptures replays every captured device through the simulator
// and checks what Probe makes of it, with the camera's XAddrs advertised
// as the simulator's address and as 0.0.0.0 (which Probe must fix).
func TestProbeCaptures(t *testing.T) {
	for _, c := range deviceCases {
		for _, adv := range []string{"", "0.0.0.0"} {
			t.Run(c.dir+"/xaddr="+adv, func(t *testing.T) {
				sim := startSim(t, onvifsim.Config{Captures: filepath.Join(captures, c.dir), User: "admin", Password: "s3cret", AdvertiseXAddr: adv})
				d, err := onvif.Probe(probeCtx(t), sim.DeviceURL(), "admin", "s3cret")
				if err != nil {
					t.Fatalf("Probe: %v (device %+v)", err, d)
				}
				if d.Manufacturer != c.manufacturer || d.Model != c.model || d.Serial != c.serial || d.Firmware != c.fw {
					t.Errorf("identity %s/%s/%s/%s", d.Manufacturer, d.Model, d.Serial, d.Firmware)
				}
				// The captured clocks are months or years off; tokens only
				// pass because Probe corrected for it.
				if off := time.Until(c.utc) - d.ClockOffset; off > time.Minute || off < -time.Minute {
					t.Errorf("clock offset %v, want about %v", d.ClockOffset, time.Until(c.utc))
				}
				if len(d.Profiles) != len(c.probed) {
					t.Fatalf("profiles %+v, want %d", d.Profiles, len(c.probed))
				}
				for i, w := range c.probed {
					p := d.Profiles[i]
					if p.Token != w.token || p.Encoding != w.encoding || p.Width != w.width || p.Height != w.height || p.FPS != w.fps || p.Media2 != w.media2 {
						t.Errorf("profile %d = %+v, want %+v", i, p, w)
					}
					if p.StreamURI != c.probedStream {
						t.Errorf("profile %s stream %q, want %q", p.Token, p.StreamURI, c.probedStream)
					}
				}
				if d.SnapshotURI == "" {
					t.Error("no snapshot URI")
				}
				if want := "http://" + hostPort(sim.DeviceURL()); d.Media2URL[:len(want)] != want {
					t.Errorf("media2 URL %q not fixed to %s", d.Media2URL, want)
				}
			})
		}
	}
}

func hostPort(u string) string {
	return u[len("http://"):][:len(u)-len("http://")-len("/onvif/device_service")]
}

func TestProbeWrongPassword(t *testing.T) {
	for _, digest := range []bool{false, true} {
		sim := startSim(t, onvifsim.Config{Captures: filepath.Join(captures, "SUNBA"), User: "admin", Password: "right", HTTPDigest: digest})
		d, err := onvif.Probe(probeCtx(t), sim.DeviceURL(), "admin", "wrong")
		if !errors.Is(err, onvif.ErrAuth) {
			t.Fatalf("httpdigest=%v: err = %v, want ErrAuth", digest, err)
		}
		if d == nil || d.Address != sim.DeviceURL() {
			t.Errorf("device on auth error = %+v, want Address set", d)
		}
		var f *onvif.SOAPFault
		var h *onvif.HTTPError
		if digest && (!errors.As(err, &h) || h.StatusCode != 401) {
			t.Errorf("digest: err %v, want HTTP 401", err)
		}
		if !digest && (!errors.As(err, &f) || f.HTTPStatus != 400 || !f.HasSubcode("NotAuthorized")) {
			t.Errorf("token: err %v, want SOAP fault NotAuthorized with HTTP 400", err)
		}
		// The right password works through HTTP Digest too.
		if _, err := onvif.Probe(probeCtx(t), sim.DeviceURL(), "admin", "right"); err != nil {
			t.Errorf("httpdigest=%v right password: %v", digest, err)
		}
	}
}

// TestClockOffsetMatters shows that the token is only accepted because of
// the correction: without SyncClock the same call fails.
func TestClockOffsetMatters(t *testing.T) {
	sim := startSim(t, onvifsim.Config{User: "u", Password: "p", ClockOffset: -3 * time.Hour})
	ctx := probeCtx(t)
	c := &onvif.Client{URL: sim.DeviceURL(), User: "u", Password: "p"}
	if _, err := c.GetDeviceInformation(ctx); !errors.Is(err, onvif.ErrAuth) {
		t.Fatalf("unsynchronised token: err = %v, want ErrAuth", err)
	}
	if _, err := c.SyncClock(ctx); err != nil {
		t.Fatal(err)
	}
	if off := c.ClockOffset(); off > -3*time.Hour+5*time.Second || off < -3*time.Hour-5*time.Second {
		t.Errorf("offset %v, want about -3h", off)
	}
	info, err := c.GetDeviceInformation(ctx)
	if err != nil || info.Model != "camsim" {
		t.Fatalf("after SyncClock: %+v %v", info, err)
	}
}

func TestProbeOwnModeRTSPRewrite(t *testing.T) {
	const rtsp = "rtsp://127.0.0.1:8554/cam?x=1&y=2"
	for _, capDir := range []string{"", filepath.Join(captures, "IPG-8150PSS")} {
		sim := startSim(t, onvifsim.Config{Captures: capDir, RTSPURL: rtsp, Profiles: []onvifsim.ProfileSpec{
			{Token: "hd", Encoding: "H265", Width: 1920, Height: 1080, FPS: 25},
			{Token: "sd", Encoding: "H264", Width: 640, Height: 360, FPS: 12.5},
		}})
		d, err := onvif.Probe(probeCtx(t), sim.DeviceURL(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range d.Profiles {
			if p.StreamURI != rtsp {
				t.Errorf("captures %q profile %s stream %q, want %q", capDir, p.Token, p.StreamURI, rtsp)
			}
		}
		if capDir == "" {
			if len(d.Profiles) != 2 || d.Profiles[0].Encoding != "H265" || d.Profiles[1].FPS != 12.5 || !d.Profiles[0].Media2 {
				t.Errorf("own profiles %+v", d.Profiles)
			}
		}
	}
}

func TestPickProfile(t *testing.T) {
	d := onvif.Device{Profiles: []onvif.Profile{
		{Token: "main", Encoding: "H265", Width: 2560, StreamURI: "rtsp://x/1"},
		{Token: "sub", Encoding: "H264", Width: 800, StreamURI: "rtsp://x/2"},
		{Token: "third", Encoding: "H264", Width: 352, StreamURI: "rtsp://x/3"},
		{Token: "mjpeg", Encoding: "JPEG", Width: 640, StreamURI: "rtsp://x/4"},
		{Token: "nouri", Encoding: "H264", Width: 700},
	}}
	for _, c := range []struct {
		width int
		want  string
	}{{640, "sub"}, {800, "sub"}, {801, "main"}, {300, "third"}, {4000, "main"}, {0, "third"}} {
		p, ok := d.PickProfile(c.width)
		if !ok || p.Token != c.want {
			t.Errorf("PickProfile(%d) = %s %v, want %s", c.width, p.Token, ok, c.want)
		}
	}
	if _, ok := (onvif.Device{Profiles: []onvif.Profile{{Encoding: "JPEG", StreamURI: "x"}}}).PickProfile(640); ok {
		t.Error("JPEG-only device picked a profile")
	}
}

func TestCameraNameCases(t *testing.T) {
	for _, c := range []struct {
		d    onvif.Device
		want string
	}{
		{onvif.Device{Model: "Performance-Series", Serial: "210231T2H63235000045"}, "performance-series-000045"},
		{onvif.Device{Model: "IPG 8150/PSS", Serial: "I207215E7840DFDA9877E8B"}, "ipg-8150-pss-877e8b"},
		{onvif.Device{Model: "", Serial: "", UUID: "urn:uuid:c9790c3a-701b-464d-a189-0060351c8ada"}, "camera-1c8ada"},
		{onvif.Device{Model: "Ünïcode ☃ Cam!!", Serial: "--"}, "n-code-cam"},
		{onvif.Device{Model: strings.Repeat("x", 80), Serial: "12"}, strings.Repeat("x", 40) + "-12"},
	} {
		if got := onvif.CameraName(&c.d); got != c.want {
			t.Errorf("CameraName(%q, %q) = %q, want %q", c.d.Model, c.d.Serial, got, c.want)
		}
	}
}

// TestProbeIsSilent: nothing is written to stdout/stderr (use-go/onvif's
// client prints debug lines; this package must not).
func TestProbeIsSilent(t *testing.T) {
	sim := startSim(t, onvifsim.Config{Captures: filepath.Join(captures, "SUNBA"), User: "a", Password: "b"})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	_, perr := onvif.Probe(probeCtx(t), sim.DeviceURL(), "a", "b")
	_, aerr := onvif.Probe(probeCtx(t), sim.DeviceURL(), "a", "wrong")
	os.Stdout, os.Stderr = oldOut, oldErr
	w.Close()
	out, _ := io.ReadAll(r)
	if perr != nil || !errors.Is(aerr, onvif.ErrAuth) {
		t.Fatalf("probe: %v / %v", perr, aerr)
	}
	if len(out) > 0 {
		t.Errorf("Probe printed %q", out)
	}
}
