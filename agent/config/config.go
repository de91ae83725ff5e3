// Package config holds Pantau's configuration: the structs, their
// defaults, loading (built-in defaults → YAML file → PANTAU_* environment)
// and validation.
//
// A config is validated once, at load, and every problem is reported at
// once, each naming its key ("cameras[1].url: scheme must be rtsp or rtsps").
// Unknown keys are errors. After Load or Parse every default is filled in,
// so callers read fields directly; a zero or omitted value in the file means
// "use the default". The returned *Config is never mutated by Pantau;
// a reload builds a new one.
//
// Durations are Go duration strings ("10s", "5m"). Geometry is normalised:
// x and y in 0–1, x to the right, y down, so a config survives a change of
// resolution.
//
// Environment overrides (applied after the file, before validation):
//
//	PANTAU_SITE, PANTAU_AGENT, PANTAU_LOG_LEVEL, PANTAU_LOG_FORMAT,
//	PANTAU_HTTP_LISTEN, PANTAU_HTTP_AUTH_USERS_FILE,
//	PANTAU_HTTP_AUTH_TOKENS_FILE, PANTAU_MQTT_URL, PANTAU_MQTT_CLIENT_ID,
//	PANTAU_MQTT_USERNAME, PANTAU_MQTT_PASSWORD (clears mqtt.password_file),
//	PANTAU_SPOOL_DIR, PANTAU_DISCOVERY_ENABLED (true|false)
package config

import (
	"time"

	"github.com/pantau/pantau/agent/httpauth"
)

// Config is the whole agent configuration. Obtain one from Load, Parse or
// Default; treat it as read-only.
type Config struct {
	// Site names the installation; it is the second topic level
	// (pantau/v1/{site}/…). Required; letters, digits, '.', '_' and '-'.
	Site string `yaml:"site"`
	// Agent names this box within the site. It defaults to the host name
	// (lower-cased, other characters replaced by '-').
	Agent string `yaml:"agent"`
	// Log configures the process log.
	Log LogConfig `yaml:"log"`
	// HTTP configures the metrics and health server.
	HTTP HTTPConfig `yaml:"http"`
	// Counts configures the aggregation of counts.
	Counts CountsConfig `yaml:"counts"`
	// MQTT configures the broker connection.
	MQTT MQTTConfig `yaml:"mqtt"`
	// Commands configures the remote commands (…/cmd/{name}).
	Commands CommandsConfig `yaml:"commands"`
	// InlinePasswords names the keys whose password is written in the
	// config file itself (set by Load, for the start-up warning).
	InlinePasswords []string `yaml:"-"`
	// OldKeys names the keys of earlier releases used in the config file
	// (set by Load, for the start-up warning).
	OldKeys []string `yaml:"-"`
	// Spool configures the on-disk outgoing queue.
	Spool SpoolConfig `yaml:"spool"`
	// Decode configures decoding for every camera.
	Decode DecodeConfig `yaml:"decode"`
	// Discovery configures ONVIF discovery and auto-provisioning.
	Discovery DiscoveryConfig `yaml:"discovery"`
	// Detector configures the detector pool shared by every camera.
	Detector PoolConfig `yaml:"detector"`
	// Defaults holds per-camera settings applied to every camera (including
	// discovered ones) before the camera's own keys. Name and URL are not
	// allowed here.
	Defaults Camera `yaml:"defaults"`
	// Cameras lists cameras given by hand. They keep priority over
	// discovered cameras with the same name or address.
	Cameras []Camera `yaml:"cameras"`
}

// PoolConfig configures the agent's shared detector pool: the model that
// cameras with detector type dnn and no model of their own use, and how
// many inferences run at once.
type PoolConfig struct {
	// Workers is how many model instances run at once, each taking about
	// one core while busy. It defaults to 1.
	Workers int `yaml:"workers"`
	// Model is the default model (ssd_mobilenet_v2_coco, made by
	// `make models`), relative to the config file. When unset it is found
	// by looking for models/ssd_mobilenet_v2_coco.onnx in the config
	// file's directory and each parent, then in the working directory and
	// each parent, then in /usr/share/pantau/models.
	Model string `yaml:"model"`
	// Engine runs the dnn models, the pool's and the cameras' own: xnnpack
	// (XNNPACK's NHWC kernels, about a third of OpenCV's CPU for the
	// default SSD: docs/performance.md; ONNX MobileNet-style graphs only),
	// opencv (OpenCV's dnn, any model it reads) or auto: xnnpack when the
	// model's graph translates to it, else opencv. It defaults to auto.
	// The log at start says which engine runs the pool's model, and why
	// auto chose opencv.
	Engine string `yaml:"engine"`
}

// Detector engines (PoolConfig.Engine).
const (
	EngineAuto    = "auto"
	EngineXNNPACK = "xnnpack"
	EngineOpenCV  = "opencv"
)

// DefaultModel is the default detector's manifest name; its file is
// DefaultModel + ".onnx".
const DefaultModel = "ssd_mobilenet_v2_coco"

// DecodeConfig configures decoding for every camera.
type DecodeConfig struct {
	// LoopFilter says on which pictures the H.264/H.265 deblocking (loop)
	// filter is skipped to save CPU: all (every picture; reference
	// pictures then drift from the encoder's until the next keyframe),
	// nonref (non-reference pictures only, which nothing else refers to)
	// or never. It defaults to all, chosen from the long-GOP figures in
	// docs/performance.md. Changing it restarts the cameras' decoders at
	// the next reconnect or agent restart.
	LoopFilter string `yaml:"loop_filter"`
}

// Loop filter settings (DecodeConfig.LoopFilter).
const (
	LoopFilterSkipAll    = "all"
	LoopFilterSkipNonRef = "nonref"
	LoopFilterNever      = "never"
)

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info, warn or error. It defaults to info.
	Level string `yaml:"level"`
	// Format is text or json. It defaults to text.
	Format string `yaml:"format"`
}

// HTTPConfig configures the HTTP server: /metrics, /healthz, /readyz,
// snapshots, the web UI and /api/v1.
type HTTPConfig struct {
	// Listen is the host:port to listen on. It defaults to 127.0.0.1:9090.
	// Any address other than loopback (":9090" included) needs
	// Auth.UsersFile or Auth.TokensFile: the agent refuses to start
	// without them.
	Listen string `yaml:"listen"`
	// Auth names the credential files.
	Auth HTTPAuthConfig `yaml:"auth"`
	// MetricsOpen serves /metrics without credentials. It defaults to
	// false: Prometheus scrapes with a bearer token from Auth.TokensFile.
	MetricsOpen bool `yaml:"metrics_open"`
	// TLS turns HTTPS on.
	TLS HTTPTLSConfig `yaml:"tls"`
}

// HTTPAuthConfig names the files holding HTTP credentials. Each must not
// be readable by other users (0600, or 0640 root:pantau). Relative paths
// are relative to the config file's directory.
type HTTPAuthConfig struct {
	// UsersFile holds "name:<bcrypt hash>" lines (htpasswd -nB name, or
	// pantau passwd name) for people: browser login or HTTP Basic.
	UsersFile string `yaml:"users_file"`
	// TokensFile holds bearer tokens, one per line, for programs such as
	// Prometheus.
	TokensFile string `yaml:"tokens_file"`
}

// HTTPTLSConfig is the HTTPS certificate and key (PEM), both or neither.
type HTTPTLSConfig struct {
	// CertFile is the certificate chain.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the private key.
	KeyFile string `yaml:"key_file"`
}

// AuthConfig returns the settings package httpauth needs.
func (h HTTPConfig) AuthConfig() httpauth.Config {
	return httpauth.Config{
		Listen: h.Listen, UsersFile: h.Auth.UsersFile, TokensFile: h.Auth.TokensFile,
		CertFile: h.TLS.CertFile, KeyFile: h.TLS.KeyFile,
	}
}

// CountsConfig configures counts aggregation.
type CountsConfig struct {
	// Interval is the length of one closed counts interval. It defaults to
	// 60 s; at least 1 s.
	Interval time.Duration `yaml:"interval"`
}

// MQTTConfig configures the MQTT connection.
type MQTTConfig struct {
	// URL of the broker: tcp://, mqtt://, ssl://, tls://, mqtts://, ws:// or
	// wss://, with a port. It defaults to tcp://127.0.0.1:1883 (a local
	// broker bridged to the centre).
	URL string `yaml:"url"`
	// ClientID is the stable MQTT client id. It defaults to
	// "pantau-{site}-{agent}".
	ClientID string `yaml:"client_id"`
	// Username for the broker; empty means none.
	Username string `yaml:"username"`
	// Password for the broker. Never logged.
	Password string `yaml:"password"`
	// PasswordFile is read at load (trailing newline trimmed) into Password.
	// A relative path is relative to the config file's directory.
	PasswordFile string `yaml:"password_file"`
	// TLS configures TLS for ssl://, tls://, mqtts:// and wss:// URLs.
	TLS TLSConfig `yaml:"tls"`
	// Keepalive is the MQTT keepalive. It defaults to 30 s.
	Keepalive time.Duration `yaml:"keepalive"`
	// ConnectTimeout bounds one connection attempt. It defaults to 10 s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// PublishTimeout bounds the wait for one PUBACK. It defaults to 10 s.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// Commands is the old name of the top-level commands section, still
	// read: a key set only here counts as set there, the same key set to
	// different values in both places is an error. After Load it holds
	// the same values as Config.Commands; read that one.
	Commands CommandsConfig `yaml:"commands,omitempty"`
}

// TLSConfig configures TLS to the broker. Relative paths are relative to
// the config file's directory; Load checks that the files exist.
type TLSConfig struct {
	// CAFile is a PEM bundle of CAs to trust; empty means the system pool.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the client certificate and key (PEM); both
	// or neither.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the client key; see CertFile.
	KeyFile string `yaml:"key_file"`
	// ServerName overrides the name checked in the broker's certificate.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify disables certificate checks. For tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// CommandsConfig configures remote commands.
type CommandsConfig struct {
	// Enabled turns command handling on. It defaults to true.
	Enabled *bool `yaml:"enabled"`
	// Disabled lists commands to refuse (reload, snapshot, discover,
	// status).
	Disabled []string `yaml:"disabled"`
	// MaxAge refuses a command whose ts is older than this, or as far in
	// the future (queued by the broker while the agent was away, or a
	// wrong clock). It defaults to 60 s.
	MaxAge time.Duration `yaml:"max_age"`
}

// Allowed reports whether command name may run.
func (c CommandsConfig) Allowed(name string) bool {
	if c.Enabled != nil && !*c.Enabled {
		return false
	}
	for _, d := range c.Disabled {
		if d == name {
			return false
		}
	}
	return true
}

// SpoolConfig configures the on-disk outgoing queue.
type SpoolConfig struct {
	// Dir is the spool directory. It defaults to /var/lib/pantau/spool
	// (the systemd unit's StateDirectory).
	Dir string `yaml:"dir"`
	// MaxBytes bounds the spool size: an integer or a size such as
	// "256MiB", "1GB". It defaults to 256 MiB; at least 1 MiB.
	MaxBytes Bytes `yaml:"max_bytes"`
	// MaxAge drops messages older than this. It defaults to 168h (7 days).
	MaxAge time.Duration `yaml:"max_age"`
	// Fsync is "always" (fsync before Publish returns; the default),
	// "interval" (fsync every second: may lose the last second on power
	// loss) or "never" (leave it to the OS).
	Fsync string `yaml:"fsync"`
	// Policy applies when the spool is full: drop_oldest_counts (drop the
	// oldest counts messages first, keep events; the default) or
	// drop_newest (refuse new messages).
	Policy string `yaml:"policy"`
}

// Bytes is a size in bytes. In YAML it is an integer or a string with a
// unit: B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
type Bytes int64

// Spool policies.
const (
	PolicyDropOldestCounts = "drop_oldest_counts"
	PolicyDropNewest       = "drop_newest"
)

// DiscoveryConfig configures ONVIF discovery and auto-provisioning.
type DiscoveryConfig struct {
	// Enabled turns periodic discovery and auto-provisioning on. It
	// defaults to false.
	Enabled bool `yaml:"enabled"`
	// Interval between discovery rounds. It defaults to 5 min.
	Interval time.Duration `yaml:"interval"`
	// Timeout is the listening window of one probe. It defaults to 3 s.
	Timeout time.Duration `yaml:"timeout"`
	// Interfaces to probe by multicast; empty means every up,
	// multicast-capable interface.
	Interfaces []string `yaml:"interfaces"`
	// Probe lists hosts or CIDRs (192.168.1.0/24, at most 4096 addresses)
	// to probe by unicast, for networks that block multicast.
	Probe []string `yaml:"probe"`
	// Credentials are tried on matching devices, first match wins.
	Credentials []Credential `yaml:"credentials"`
	// DefaultCredentials are used for devices no entry matches.
	DefaultCredentials Login `yaml:"default_credentials"`
}

// Credential gives the login for the devices it matches.
type Credential struct {
	// Match is a device serial number, a MAC address (aa:bb:cc:dd:ee:ff) or
	// an IP address or host name. Required.
	Match string `yaml:"match"`
	// Username for the device.
	Username string `yaml:"username"`
	// Password for the device. Never logged.
	Password string `yaml:"password"`
	// PasswordFile, PasswordEnv and PasswordCredential give the password
	// instead of Password (one of the four at most): a file (trailing
	// newline trimmed; relative to the config file), an environment
	// variable, or a systemd credential (LoadCredential=, read from
	// $CREDENTIALS_DIRECTORY). They let the config file stay free of
	// secrets.
	PasswordFile       string `yaml:"password_file"`
	PasswordEnv        string `yaml:"password_env"`
	PasswordCredential string `yaml:"password_credential"`
}

// Login is a username and password.
type Login struct {
	// Username for the device.
	Username string `yaml:"username"`
	// Password for the device. Never logged.
	Password string `yaml:"password"`
	// PasswordFile, PasswordEnv and PasswordCredential give the password
	// instead of Password (one of the four at most): a file (trailing
	// newline trimmed; relative to the config file), an environment
	// variable, or a systemd credential (LoadCredential=, read from
	// $CREDENTIALS_DIRECTORY). They let the config file stay free of
	// secrets.
	PasswordFile       string `yaml:"password_file"`
	PasswordEnv        string `yaml:"password_env"`
	PasswordCredential string `yaml:"password_credential"`
}
