package agent

import (
	"reflect"
	"testing"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/devices/onvif"
)

func TestCredentialsForMostSpecificFirst(t *testing.T) {
	d := config.DiscoveryConfig{
		Credentials: []config.Credential{
			{Match: "192.0.2.9", Username: "other-ip", Password: "a"},
			{Match: "AA:BB:CC:DD:EE:FF", Username: "by-mac", Password: "b"},
			{Match: "SN123", Username: "by-serial", Password: "c"},
			{Match: "192.0.2.7", Username: "by-ip", Password: "d"},
		},
		DefaultCredentials: config.Login{Username: "admin", Password: "e"},
	}
	dv := onvif.Discovered{
		From:   "192.0.2.7",
		XAddrs: []string{"http://192.0.2.7/onvif/device_service"},
		Scopes: []string{"onvif://www.onvif.org/MAC/aa:bb:cc:dd:ee:ff"},
	}
	var got []string
	for _, c := range credentialsFor(d, dv) {
		got = append(got, c.User)
	}
	// The address and the announced MAC first (config order), then the
	// serial entry (unknown before login), then the default; never another
	// camera's address.
	want := []string{"by-mac", "by-ip", "by-serial", "admin"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("candidates %v, want %v", got, want)
	}
}
