package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

// discoverSims starts simulated cameras on 127.0.0.2, .3, ... with
// WS-Discovery responders sharing one port, and returns them, the port and
// the --probe list that reaches them by unicast.
func discoverSims(t *testing.T, cfgs ...onvifsim.Config) ([]*onvifsim.Server, string) {
	t.Helper()
	var sims []*onvifsim.Server
	port := "0"
	var probes []string
	for i, cfg := range cfgs {
		ip := "127.0.0." + strconv.Itoa(i+2)
		cfg.Addr, cfg.DiscoveryAddr = ip+":0", ip+":"+port
		s, err := onvifsim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		_, port, _ = net.SplitHostPort(s.DiscoveryAddr())
		probes = append(probes, ip+":"+port)
		sims = append(sims, s)
	}
	return sims, strings.Join(probes, ",")
}

func TestDiscoverCommand(t *testing.T) {
	sims, probes := discoverSims(t,
		onvifsim.Config{Captures: "../../testdata/onvif/SUNBA", User: "admin", Password: "good", RTSPURL: "rtsp://127.0.0.2:8554/cam"},
		onvifsim.Config{User: "admin", Password: "good", AdvertiseXAddr: "0.0.0.0", RTSPURL: "rtsp://viewer:hunter2@127.0.0.3:8554/cam"},
		onvifsim.Config{Captures: "../../testdata/onvif/IPG-8150PSS", User: "admin", Password: "other"},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	common := []string{"--no-multicast", "--probe", probes, "--timeout", "1s", "--user", "admin", "--password", "good"}

	var out, errb bytes.Buffer
	if err := cmdDiscover(ctx, append(common, "--json"), &out, &errb); err != nil {
		t.Fatalf("discover --json: %v (%s)", err, errb.String())
	}
	var list []struct {
		Address, Manufacturer, Model, Firmware, Serial string
		Profiles                                       []struct {
			Token, Name, Encoding string
			Width, Height         int
			StreamURI             string `json:"stream_uri"`
		}
		AuthFailed bool `json:"auth_failed"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	if len(list) != 3 {
		t.Fatalf("%d devices, want 3:\n%s", len(list), out.String())
	}
	for i, d := range list {
		if d.Address != sims[i].DeviceURL() {
			t.Errorf("device %d address %s, want %s", i, d.Address, sims[i].DeviceURL())
		}
	}
	if d := list[0]; d.Manufacturer != "SUNBA" || d.Model != "Performance-Series" || d.Serial != "210231T2H63235000045" ||
		d.Firmware == "" || len(d.Profiles) != 3 || d.Profiles[1].Width != 720 || d.Profiles[1].Encoding != "H264" ||
		d.Profiles[1].StreamURI != "rtsp://127.0.0.2:8554/cam" {
		t.Errorf("SUNBA: %+v", d)
	}
	if d := list[1]; d.Model != "camsim" || len(d.Profiles) != 1 || strings.Contains(d.Profiles[0].StreamURI, "hunter2") ||
		d.Profiles[0].StreamURI != "rtsp://127.0.0.3:8554/cam" {
		t.Errorf("camsim: %+v (stream URIs must carry no credentials)", d)
	}
	if !list[2].AuthFailed || list[1].AuthFailed {
		t.Errorf("auth_failed = %v/%v, want only the third", list[1].AuthFailed, list[2].AuthFailed)
	}

	// Table, querying one device directly.
	out.Reset()
	if err := cmdDiscover(ctx, []string{"--device", sims[2].DeviceURL() + "," + sims[0].DeviceURL(), "--user", "admin", "--password", "good"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{"ADDRESS", "SUNBA", "Performance-Series", "* media_profile2", "H264", "720x576", "25fps", "auth failed", "2 device(s)"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	// --write-config produces a file pantau check accepts, never overwritten.
	path := filepath.Join(t.TempDir(), "cams.yaml")
	out.Reset()
	if err := cmdDiscover(ctx, append(common, "--write-config", path), &out, &errb); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var checkOut bytes.Buffer
	if err := cmdCheck(ctx, []string{"-c", path}, &checkOut, &errb); err != nil {
		t.Fatalf("pantau check rejects the written config: %v\n%s\n%s", err, checkOut.String(), b)
	}
	for _, want := range []string{"name: performance-series-000045", "name: camsim-", "url: rtsp://127.0.0.2:8554/cam", "onvif: " + sims[0].DeviceURL(), "# Devices that answered but are not configured"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "hunter2") {
		t.Error("config carries the stream URI's credentials")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", st.Mode().Perm())
	}
	if err := cmdDiscover(ctx, append(common, "--write-config", path), &out, &errb); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second --write-config: err = %v, want 'file exists'", err)
	}
}

func TestDiscoverCommandUsage(t *testing.T) {
	var out, errb bytes.Buffer
	ctx := context.Background()
	for _, args := range [][]string{{"extra"}, {"--timeout", "-1s"}, {"--bogus"}} {
		if err := cmdDiscover(ctx, args, &out, &errb); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	err := cmdDiscover(ctx, []string{"--no-multicast", "--probe", "10.0.0.0/8"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Errorf("huge CIDR: %v", err)
	}
}

func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCamsimONVIF runs "pantau camsim --onvif" on the real test clip and
// finds it with "pantau discover --device": the stream URI handed out is
// the RTSP simulator's, the profile the clip's shape.
func TestCamsimONVIF(t *testing.T) {
	clipPath := "../../testdata/clips/vtest_h264.mp4"
	if _, err := os.Stat(clipPath); err != nil {
		t.Fatalf("%v: run scripts/testdata.sh (make testdata) first", err)
	}
	rtspAddr, onvifAddr := freeLoopbackPort(t), freeLoopbackPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	simCtx, stopSim := context.WithCancel(ctx)
	var simOut, simErr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- cmdCamsim(simCtx, []string{"--clip", clipPath, "--rtsp", rtspAddr, "--onvif", onvifAddr,
			"--user", "admin", "--password", "pw"}, &simOut, &simErr)
	}()
	defer func() {
		stopSim()
		if err := <-done; err != nil {
			t.Errorf("camsim: %v\n%s", err, simErr.String())
		}
	}()
	device := "http://" + onvifAddr + "/onvif/device_service"
	var out bytes.Buffer
	for {
		out.Reset()
		var errb bytes.Buffer
		err := cmdDiscover(ctx, []string{"--device", device, "--user", "admin", "--password", "pw", "--json"}, &out, &errb)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `"error"`) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("camsim ONVIF never answered: %s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	var list []struct {
		Model    string
		Profiles []struct {
			Encoding      string
			Width, Height int
			FPS           float64
			StreamURI     string `json:"stream_uri"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 1 || len(list[0].Profiles) != 1 {
		t.Fatalf("%v: %s", err, out.String())
	}
	p := list[0].Profiles[0]
	if list[0].Model != "camsim" || p.Encoding != "H264" || p.Width != 768 || p.Height != 576 || p.FPS != 10 ||
		p.StreamURI != "rtsp://"+rtspAddr+"/cam" {
		t.Errorf("camsim device %+v, want H264 768x576 10 fps at rtsp://%s/cam", list[0], rtspAddr)
	}
}

// TestCamsimRefusesOpenLANListener: a simulator listening beyond loopback
// without credentials is refused before it opens anything, naming the flag.
func TestCamsimRefusesOpenLANListener(t *testing.T) {
	for _, args := range [][]string{
		{"--rtsp", ":8554"},
		{"--rtsp", "0.0.0.0:8554"},
		{"--rtsp", "127.0.0.1:0", "--onvif", ":8080"},
		{"--rtsp", "[::]:8554", "--user", "admin"},
	} {
		var out, errb bytes.Buffer
		err := cmdCamsim(context.Background(), append([]string{"--clip", "x.mp4"}, args...), &out, &errb)
		if !errors.Is(err, errUsage) || !strings.Contains(errb.String(), "listens beyond this machine: set --user and --password") {
			t.Errorf("camsim %v: err %v, stderr %q; want a usage error naming the listener", args, err, errb.String())
		}
	}
}
