package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShippedConfig loads configs/hub.yaml. The files it names (a password
// and a CA) are a deployment's own, so the test puts placeholders beside a
// copy of it.
func TestShippedConfig(t *testing.T) {
	b, err := os.ReadFile("../../configs/hub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"secrets/hub-mqtt-password", "certs/central-ca.pem"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("placeholder\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sites) != 4 || c.Site("smg-tugumuda").Region != "Kota Semarang" || c.Location().String() != "Asia/Jakarta" {
		t.Errorf("config %+v", c)
	}
	if c.MQTT.Password != "placeholder" || c.MQTT.TLS.CAFile != filepath.Join(dir, "certs/central-ca.pem") {
		t.Errorf("password file or relative path not resolved: %q %q", c.MQTT.Password, c.MQTT.TLS.CAFile)
	}
	if c.Retention.Events != 30*24*time.Hour || c.Retention.Daily != 0 || c.Limits.SiteRate != 200 {
		t.Errorf("retention %+v limits %+v", c.Retention, c.Limits)
	}
	if s := c.Site("not-listed"); s.Region != Unassigned || s.DisplayName != "not-listed" {
		t.Errorf("unlisted site %+v", s)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.URL != "sqlite:/var/lib/pantau/hub.db" || c.HTTP.Listen != "127.0.0.1:9300" || c.Subscribe.Topic != "pantau/v1/#" || c.MQTT.ClientID != "pantau-hub" {
		t.Errorf("defaults %+v", c)
	}
}

// TestErrors: every problem is reported, each naming its key.
func TestErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"nope: 1", "field nope not found"},
		{"mqtt: {url: http://x:1}", "mqtt.url: scheme must be"},
		{"mqtt: {url: tcp://u:p@x:1}", "mqtt.url: put credentials"},
		{"store: {url: 'mysql://x'}", "store.url: want sqlite:PATH or postgres"},
		{"store: {url: 'postgres://u:secret@db/x'}", "store.url: put the password"},
		{"sites: [{name: a}]", "sites[0].region: required"},
		{"sites: [{name: a, region: r}, {name: a, region: r}]", "sites[1].name: site \"a\" listed twice"},
		{"sites: [{name: 'a b', region: r}]", "sites[0].name:"},
		{"sites: [{name: a, region: unassigned}]", "sites[0].region: \"unassigned\" is reserved"},
		{"timezone: Mars/Base", "timezone:"},
		{"retention: {events: 10m}", "retention.events: must be 0"},
		{"subscribe: {share: 'a/b'}", "subscribe.share:"},
		{"http: {listen: nope}", "http.listen:"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows the password: %v", c.yaml, err)
		}
	}
}
