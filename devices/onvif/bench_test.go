package onvif_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/pantau/pantau/devices/onvif"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

// BenchmarkParseProfiles parses SUNBA's 58 kB Media1 GetProfiles answer.
func BenchmarkParseProfiles(b *testing.B) {
	data := readCapture(b, "SUNBA", "media1", "GetProfiles")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := onvif.ParseProfiles(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProbe is a full Probe (clock, info, services, Media1, Media2,
// stream and snapshot URIs: 11 requests) of the replayed IPG-8150PSS with
// WS-UsernameToken on loopback.
func BenchmarkProbe(b *testing.B) {
	sim := startSim(b, onvifsim.Config{Captures: filepath.Join(captures, "IPG-8150PSS"), User: "admin", Password: "pw"})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := onvif.Probe(ctx, sim.DeviceURL(), "admin", "pw"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOversizedResponse shows the cost of a 50 MB answer: bytes/op
// stays near the 4 MiB limit, not 50 MB.
func BenchmarkOversizedResponse(b *testing.B) {
	chunk := bytes.Repeat([]byte("<a>padding</a>"), 1<<16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for n := 0; n < 50<<20; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := &onvif.Client{URL: srv.URL}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SyncClock(context.Background()); err == nil {
			b.Fatal("no error")
		}
	}
}
