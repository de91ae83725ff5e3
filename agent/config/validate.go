package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/devices/urlcred"
)

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	topicRE   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	commandRE = map[string]bool{"reload": true, "snapshot": true, "discover": true, "status": true}
)

// collector gathers FieldErrors.
type collector struct{ errs Errors }

func (v *collector) add(key, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (v *collector) oneOf(key, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.add(key, "must be one of %s, got %q", strings.Join(allowed, ", "), val)
}

func (v *collector) fraction(key string, f float64) {
	if f < 0 || f > 1 {
		v.add(key, "must be between 0 and 1, got %g", f)
	}
}

func (v *collector) fileExists(key, path string) {
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		v.add(key, "cannot read %s: %v", path, unwrapPath(err))
	}
}

// validate checks a filled config and returns every problem found.
func validate(c *Config) Errors {
	v := &collector{}
	if c.Site == "" {
		v.add("site", "required (a name for this installation, e.g. \"depot-north\")")
	} else if !topicRE.MatchString(c.Site) {
		v.add("site", "must be 1–64 letters, digits, '.', '_' or '-', got %q", c.Site)
	}
	if !topicRE.MatchString(c.Agent) {
		v.add("agent", "must be 1–64 letters, digits, '.', '_' or '-', got %q", c.Agent)
	}
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		v.add("http.listen", "want host:port such as 127.0.0.1:9090 or :9090, got %q", c.HTTP.Listen)
	} else {
		for _, err := range httpauth.Check(c.HTTP.AuthConfig()) {
			var ke *httpauth.KeyError
			if errors.As(err, &ke) {
				v.add(ke.Key, "%s", ke.Msg)
			} else {
				v.errs = append(v.errs, err)
			}
		}
	}
	if c.Counts.Interval < 1e9 {
		v.add("counts.interval", "must be at least 1s, got %s", c.Counts.Interval)
	}
	v.oneOf("decode.loop_filter", c.Decode.LoopFilter, LoopFilterSkipAll, LoopFilterSkipNonRef, LoopFilterNever)
	validateMQTT(v, c)
	v.commands(c)
	validatePool(v, c)
	validateSpool(v, &c.Spool)
	validateDiscovery(v, &c.Discovery)
	validateCamera(v, "defaults", &c.Defaults, true)
	names := map[string]int{}
	for i := range c.Cameras {
		key := fmt.Sprintf("cameras[%d]", i)
		cam := &c.Cameras[i]
		validateCamera(v, key, cam, false)
		if j, dup := names[cam.Name]; dup && cam.Name != "" {
			v.add(key+".name", "%q is already used by cameras[%d]", cam.Name, j)
		} else {
			names[cam.Name] = i
		}
	}
	return v.errs
}

func validateMQTT(v *collector, c *Config) {
	m := &c.MQTT
	u, err := urlcred.Parse(m.URL)
	switch {
	case err != nil:
		v.add("mqtt.url", "%v", err)
	case !oneOf(u.Scheme, "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"):
		v.add("mqtt.url", "scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss, got %q", u.Scheme)
	case u.Hostname() == "" || u.Port() == "":
		v.add("mqtt.url", "want host and port, e.g. tcp://127.0.0.1:1883, got %s", urlcred.Redact(m.URL))
	case u.User != nil:
		v.add("mqtt.url", "put credentials in mqtt.username and mqtt.password, not in the URL")
	}
	if m.Password != "" && m.PasswordFile != "" {
		v.add("mqtt.password_file", "give mqtt.password or mqtt.password_file, not both")
	} else if err := readPasswordFile(c); err != nil {
		v.errs = append(v.errs, err)
	}
	if strings.ContainsAny(m.ClientID, "+#/") || len(m.ClientID) > 128 {
		v.add("mqtt.client_id", "must be at most 128 characters without '+', '#' or '/', got %q", m.ClientID)
	}
	t := &m.TLS
	v.fileExists("mqtt.tls.ca_file", t.CAFile)
	v.fileExists("mqtt.tls.cert_file", t.CertFile)
	v.fileExists("mqtt.tls.key_file", t.KeyFile)
	if (t.CertFile == "") != (t.KeyFile == "") {
		v.add("mqtt.tls.cert_file", "give both cert_file and key_file, or neither")
	}
	if m.Keepalive < 1e9 {
		v.add("mqtt.keepalive", "must be at least 1s, got %s", m.Keepalive)
	}
}

// commands checks the commands section under the name the file used:
// mqtt.commands when its old name holds the values (both names agree by
// now, see commandsAlias).
func (v *collector) commands(c *Config) {
	key := "commands"
	if slices.Contains(c.OldKeys, "mqtt.commands") {
		key = "mqtt.commands"
	}
	if c.Commands.MaxAge < time.Second {
		v.add(key+".max_age", "must be at least 1s, got %s", c.Commands.MaxAge)
	}
	for i, name := range c.Commands.Disabled {
		if !commandRE[name] {
			v.add(fmt.Sprintf("%s.disabled[%d]", key, i), "unknown command %q (known: discover, reload, snapshot, status)", name)
		}
	}
}

func validateSpool(v *collector, s *SpoolConfig) {
	if s.MaxBytes < 1<<20 {
		v.add("spool.max_bytes", "must be at least 1MiB, got %d", s.MaxBytes)
	}
	if s.MaxAge < 60e9 {
		v.add("spool.max_age", "must be at least 1m, got %s", s.MaxAge)
	}
	v.oneOf("spool.fsync", s.Fsync, "always", "interval", "never")
	v.oneOf("spool.policy", s.Policy, PolicyDropOldestCounts, PolicyDropNewest)
}

func validateDiscovery(v *collector, d *DiscoveryConfig) {
	if d.Interval < 2e9 {
		v.add("discovery.interval", "must be at least 2s, got %s", d.Interval)
	}
	if d.Timeout > d.Interval {
		v.add("discovery.timeout", "must not be longer than discovery.interval (%s), got %s", d.Interval, d.Timeout)
	}
	for i, s := range d.Interfaces {
		if s == "" {
			v.add(fmt.Sprintf("discovery.interfaces[%d]", i), "empty interface name")
		}
	}
	for i, p := range d.Probe {
		key := fmt.Sprintf("discovery.probe[%d]", i)
		if strings.Contains(p, "/") {
			_, n, err := net.ParseCIDR(p)
			if err != nil {
				v.add(key, "want a host or a CIDR such as 192.168.1.0/24, got %q", p)
			} else if ones, bits := n.Mask.Size(); bits-ones > 12 {
				v.add(key, "CIDR %s has more than 4096 addresses; split it", p)
			}
		} else if net.ParseIP(p) == nil && !hostRE.MatchString(p) {
			v.add(key, "want a host or a CIDR such as 192.168.1.0/24, got %q", p)
		}
	}
	for i, cr := range d.Credentials {
		if strings.TrimSpace(cr.Match) == "" {
			v.add(fmt.Sprintf("discovery.credentials[%d].match", i), "required (a serial, MAC or address)")
		}
	}
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:[0-9]{1,5})?$`)

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

// validatePool checks the shared detector. The model must exist only when
// a camera uses the pool, so a config of blob cameras runs without it.
func validatePool(v *collector, c *Config) {
	if c.Detector.Workers < 1 || c.Detector.Workers > 64 {
		v.add("detector.workers", "must be between 1 and 64, got %d", c.Detector.Workers)
	}
	v.oneOf("detector.engine", c.Detector.Engine, EngineAuto, EngineXNNPACK, EngineOpenCV)
	used := false
	for i := range c.Cameras {
		used = used || c.Cameras[i].UsesPool()
	}
	if !used {
		return
	}
	if c.Detector.Model == "" {
		v.add("detector.model", "%s.onnx not found in models/ beside the config or the working directory (or a parent) nor in /usr/share/pantau/models: run `make models` (or scripts/models.sh), or set detector.model", DefaultModel)
		return
	}
	v.fileExists("detector.model", c.Detector.Model)
}
