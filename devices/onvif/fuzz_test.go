package onvif_test

import (
	"github.com/pantau/pantau/devices/urlcred"
	"os"
	"path/filepath"
	"testing"

	"github.com/pantau/pantau/devices/onvif"
)

// FuzzParseResponses feeds every captured response of every device case,
// and the bad inputs, to all parsers. None may panic; a parser that
// succeeds must return something usable.
func FuzzParseResponses(f *testing.F) {
	for _, c := range deviceCases {
		for _, svc := range []string{"device_management", "media1", "media2"} {
			files, _ := filepath.Glob(filepath.Join(captures, c.dir, svc, "*.xml"))
			for _, p := range files {
				b, err := os.ReadFile(p)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
	for _, b := range badInputs {
		f.Add([]byte(b.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = onvif.ParseDeviceInformation(data)
		if tm, err := onvif.ParseSystemDateAndTime(data); err == nil && tm.IsZero() {
			t.Error("zero time without error")
		}
		_, _ = onvif.ParseServices(data)
		_, _ = onvif.ParseCapabilities(data)
		for _, parse := range []func([]byte) ([]onvif.MediaProfile, error){onvif.ParseProfiles, onvif.ParseProfiles2} {
			ps, err := parse(data)
			if err == nil && ps == nil {
				t.Error("nil profiles without error")
			}
		}
		_, _ = onvif.ParseVideoEncoderConfigurations2(data)
		if u, err := onvif.ParseStreamURI(data); err == nil && u == "" {
			t.Error("empty stream URI without error")
		}
		if u, err := onvif.ParseSnapshotURI(data); err == nil {
			_ = onvif.FixHost(u, "127.0.0.1:80", false)
			_ = urlcred.Redact(u)
		}
	})
}
