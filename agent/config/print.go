package config

import (
	"github.com/pantau/pantau/devices/urlcred"
	"gopkg.in/yaml.v3"
)

// MarshalYAML writes a point as [x, y].
func (p Point) MarshalYAML() (any, error) { return []float64{p.X, p.Y}, nil }

// Redacted returns a copy of c with every password replaced by urlcred.Mask and
// the credentials in URLs removed, safe to print or log.
func (c *Config) Redacted() *Config {
	r := *c
	hide := func(s *string) {
		if *s != "" {
			*s = urlcred.Mask
		}
	}
	hide(&r.MQTT.Password)
	r.MQTT.URL = urlcred.Redact(r.MQTT.URL)
	hide(&r.Discovery.DefaultCredentials.Password)
	r.Discovery.Credentials = append([]Credential(nil), c.Discovery.Credentials...)
	for i := range r.Discovery.Credentials {
		hide(&r.Discovery.Credentials[i].Password)
	}
	redactCamera := func(cam *Camera) {
		cam.URL = urlcred.Redact(cam.URL)
		cam.ONVIF = urlcred.Redact(cam.ONVIF)
		hide(&cam.Password)
	}
	redactCamera(&r.Defaults)
	r.Cameras = append([]Camera(nil), c.Cameras...)
	for i := range r.Cameras {
		redactCamera(&r.Cameras[i])
	}
	return &r
}

// YAML returns the effective configuration (defaults and environment
// applied) as YAML, with secrets redacted. It parses back to the same
// configuration, secrets aside.
func (c *Config) YAML() ([]byte, error) {
	r := c.Redacted()
	r.MQTT.Commands = CommandsConfig{} // printed once, under its own name (commands)
	return yaml.Marshal(r)
}
