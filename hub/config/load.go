package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/devices/urlcred"
)

// Load reads hub.yaml at path, reads the password files it names, resolves
// relative paths against the file's directory, fills defaults and
// validates. The error lists every problem, each naming its key.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(data, filepath.Dir(path))
}

// Parse is Load for a config held in memory; relative paths stay relative
// to the working directory.
func Parse(data []byte) (*Config, error) { return parse(data, "") }

func parse(data []byte, dir string) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	fillDefaults(c)
	for _, p := range []*string{&c.MQTT.PasswordFile, &c.MQTT.TLS.CAFile, &c.MQTT.TLS.CertFile,
		&c.MQTT.TLS.KeyFile, &c.Store.PasswordFile, &c.HTTP.Auth.UsersFile, &c.HTTP.Auth.TokensFile,
		&c.HTTP.TLS.CertFile, &c.HTTP.TLS.KeyFile} {
		if *p != "" && dir != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if p, ok := strings.CutPrefix(c.Store.URL, "sqlite:"); ok && dir != "" && p != "" && !filepath.IsAbs(p) {
		c.Store.URL = "sqlite:" + filepath.Join(dir, p)
	}
	if err := validate(c); err != nil {
		return nil, err
	}
	return c, nil
}

func fillDefaults(c *Config) {
	str := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	dur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	str(&c.Province, "Province")
	str(&c.Timezone, "UTC")
	str(&c.Log.Level, "info")
	str(&c.Log.Format, "text")
	str(&c.HTTP.Listen, "127.0.0.1:9300")
	str(&c.MQTT.URL, "tcp://127.0.0.1:1883")
	str(&c.MQTT.ClientID, "pantau-hub")
	dur(&c.MQTT.Keepalive, 30*time.Second)
	dur(&c.MQTT.ConnectTimeout, 10*time.Second)
	dur(&c.MQTT.PublishTimeout, 10*time.Second)
	str(&c.Subscribe.Topic, event.TopicPrefix+"/#")
	str(&c.Store.URL, "sqlite:/var/lib/pantau/hub.db")
	dur(&c.Retention.Events, 30*24*time.Hour)
	dur(&c.Retention.Counts, 14*24*time.Hour)
	dur(&c.Retention.Hourly, 400*24*time.Hour)
	dur(&c.Retention.Seq, 30*24*time.Hour)
	if c.Limits.SiteRate == 0 {
		c.Limits.SiteRate = 200
	}
	if c.Limits.SiteBurst == 0 {
		c.Limits.SiteBurst = 20000
	}
	if c.Limits.MaxPayload == 0 {
		c.Limits.MaxPayload = 256 << 10
	}
	if c.Limits.MaxSites == 0 {
		c.Limits.MaxSites = 1000
	}
	dur(&c.Limits.FutureSkew, 5*time.Minute)
	dur(&c.Alerts.CameraOffline, 5*time.Minute)
	dur(&c.Alerts.AgentOffline, 5*time.Minute)
	dur(&c.Alerts.SeqGap, 10*time.Minute)
	for i := range c.Sites {
		str(&c.Sites[i].DisplayName, c.Sites[i].Name)
	}
}

func validate(c *Config) error {
	var errs []error
	add := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		add("timezone", "%v", err)
	} else {
		c.loc = loc
	}
	if _, err := logging.ParseLevel(c.Log.Level); err != nil {
		add("log.level", "%v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add("http.listen", "want host:port, got %q", c.HTTP.Listen)
	}
	for _, err := range httpauth.Check(c.HTTP.AuthConfig()) {
		errs = append(errs, err) // each names its http.* key
	}
	validateMQTT(c, add)
	if strings.ContainsAny(c.Subscribe.Share, "+#/") {
		add("subscribe.share", "a share name cannot contain '+', '#' or '/'")
	}
	switch {
	case strings.HasPrefix(c.Store.URL, "postgres://"), strings.HasPrefix(c.Store.URL, "postgresql://"):
		if u, err := url.Parse(c.Store.URL); err != nil {
			add("store.url", "not a URL: %v", urlcred.RedactText(err.Error()))
		} else if _, set := u.User.Password(); set {
			add("store.url", "put the password in store.password_file or PGPASSWORD, not in the URL")
		}
	case strings.Contains(c.Store.URL, "://"):
		add("store.url", "want sqlite:PATH or postgres://…, got scheme %q", strings.SplitN(c.Store.URL, "://", 2)[0])
	}
	if c.Store.PasswordFile != "" {
		if _, err := os.Stat(c.Store.PasswordFile); err != nil {
			add("store.password_file", "%v", err)
		}
	}
	for _, r := range []struct {
		key string
		d   time.Duration
	}{{"retention.events", c.Retention.Events}, {"retention.counts", c.Retention.Counts},
		{"retention.hourly", c.Retention.Hourly}, {"retention.daily", c.Retention.Daily}, {"retention.seq", c.Retention.Seq}} {
		if r.d < 0 || (r.d > 0 && r.d < time.Hour) {
			add(r.key, "must be 0 (keep for ever) or at least 1h, got %s", r.d)
		}
	}
	if c.Limits.SiteRate < 0 || c.Limits.SiteBurst < 1 || c.Limits.MaxPayload < 1024 || c.Limits.MaxSites < 1 {
		add("limits", "site_rate ≥ 0, site_burst ≥ 1, max_payload ≥ 1024 and max_sites ≥ 1")
	}
	seen := map[string]bool{}
	for i, s := range c.Sites {
		key := fmt.Sprintf("sites[%d]", i)
		if err := event.CheckName(s.Name, false); err != nil {
			add(key+".name", "%v", err)
		}
		if seen[s.Name] {
			add(key+".name", "site %q listed twice", s.Name)
		}
		seen[s.Name] = true
		if strings.TrimSpace(s.Region) == "" {
			add(key+".region", "required (the regency or city)")
		} else if s.Region == Unassigned {
			add(key+".region", "%q is reserved for sites hub.yaml does not list", Unassigned)
		}
		if s.Lat < -90 || s.Lat > 90 || s.Lon < -180 || s.Lon > 180 {
			add(key, "lat must be in -90…90 and lon in -180…180")
		}
	}
	return errors.Join(errs...)
}

func validateMQTT(c *Config, add func(string, string, ...any)) {
	m := &c.MQTT
	u, err := url.Parse(m.URL)
	switch {
	case err != nil:
		add("mqtt.url", "not a URL: %v", urlcred.RedactText(err.Error()))
	case u.Scheme != "tcp" && u.Scheme != "mqtt" && u.Scheme != "ssl" && u.Scheme != "tls" &&
		u.Scheme != "mqtts" && u.Scheme != "ws" && u.Scheme != "wss":
		add("mqtt.url", "scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss, got %q", u.Scheme)
	case u.Hostname() == "" || u.Port() == "":
		add("mqtt.url", "want host and port, e.g. tcp://127.0.0.1:1883, got %s", urlcred.Redact(m.URL))
	case u.User != nil:
		add("mqtt.url", "put credentials in mqtt.username and mqtt.password, not in the URL")
	}
	if m.Password != "" && m.PasswordFile != "" {
		add("mqtt.password_file", "give mqtt.password or mqtt.password_file, not both")
	} else if m.PasswordFile != "" {
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			add("mqtt.password_file", "%v", err)
		}
		m.Password = strings.TrimRight(string(b), "\r\n")
	}
	if strings.ContainsAny(m.ClientID, "+#/") || len(m.ClientID) > 128 {
		add("mqtt.client_id", "must be at most 128 characters without '+', '#' or '/'")
	}
	for key, p := range map[string]string{"mqtt.tls.ca_file": m.TLS.CAFile,
		"mqtt.tls.cert_file": m.TLS.CertFile, "mqtt.tls.key_file": m.TLS.KeyFile} {
		if p != "" {
			if _, err := os.Stat(p); err != nil {
				add(key, "%v", err)
			}
		}
	}
	if (m.TLS.CertFile == "") != (m.TLS.KeyFile == "") {
		add("mqtt.tls.cert_file", "give both cert_file and key_file, or neither")
	}
}
