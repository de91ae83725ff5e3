package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/logging"
	"github.com/pantau/pantau/agent/publish/spool"
)

// Config configures a Client. The zero value of every field but URL, Site
// and Agent is usable.
type Config struct {
	// URL is the broker: tcp://host:1883, ssl://, tls:// or mqtts://
	// (TLS, port 8883 by default in practice), ws:// or wss://.
	// Credentials in it are accepted but better given in Username/Password.
	URL string
	// ClientID must stay the same across restarts (the broker keeps the
	// session and its queued commands by it). It defaults to
	// "pantau-{Site}-{Agent}".
	ClientID string
	// Username and Password log in to the broker; the caller resolves them
	// from a file or the environment. They are never logged.
	Username string
	Password string
	TLS      TLSConfig
	// Keepalive is the MQTT keepalive. It defaults to 30 seconds.
	Keepalive time.Duration
	// ConnectTimeout bounds one connection attempt. It defaults to
	// 10 seconds.
	ConnectTimeout time.Duration
	// PublishTimeout bounds the wait for a PUBACK. It defaults to 10 seconds.
	PublishTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the pause between connection
	// attempts, which doubles from min to max with jitter. They default to
	// 1 second and 60 seconds.
	ReconnectMin, ReconnectMax time.Duration
	// StatusInterval is how often the retained agent status is refreshed
	// while connected. It defaults to 60 seconds.
	StatusInterval time.Duration
	// Version is the agent's version, for the status the client publishes
	// when no SetStatus provider is set. It defaults to "dev".
	Version string
	// Site and Agent name this agent in every topic
	// (pantau/v1/{Site}/{Agent}/…). Required.
	Site, Agent string
	Spool       SpoolConfig
	Commands    CommandsConfig
	// MaxPayload bounds an outgoing message. It defaults to 1 MiB.
	MaxPayload int
	// Inflight is how many spooled messages may await their PUBACK at once.
	// It defaults to 32.
	Inflight int
	// Summary logs the client's repeated warnings (cannot connect,
	// connection lost, spool drops) once per period. It defaults to a
	// summariser of the client's own, run by Run; the agent passes its
	// own, so one place logs every repeated warning.
	Summary *logging.Summariser
	// ReadBackTimeout is how long the client waits, after connecting, to
	// read back its own retained status before it sends the spool (see
	// Run). It defaults to 5 seconds.
	ReadBackTimeout time.Duration
}

// TLSConfig are PEM files for a TLS connection.
type TLSConfig struct {
	// CAFile is the CA bundle that signed the broker's certificate; empty
	// means the system roots.
	CAFile string
	// CertFile and KeyFile are the client certificate and key, for brokers
	// that require one. Both or neither.
	CertFile, KeyFile string
	// ServerName overrides the name checked in the broker's certificate;
	// it defaults to the URL's host.
	ServerName string
	// InsecureSkipVerify turns off certificate checks (tests only).
	InsecureSkipVerify bool
}

// SpoolConfig configures the disk spool (see agent/publish/spool).
type SpoolConfig struct {
	// Dir holds the spool. It defaults to {os.TempDir()}/pantau-spool/
	// {Site}-{Agent}; set it to persistent storage in production.
	Dir string
	// MaxBytes bounds the queued messages. It defaults to 64 MiB.
	MaxBytes int64
	// MaxAge drops older messages. It defaults to 7 days.
	MaxAge time.Duration
	// Fsync is "always" (the default: Publish returns after fsync, shared
	// among concurrent callers), "interval" (every second) or "never".
	Fsync string
	// Policy is what a full spool does: "drop_oldest_counts" (the default:
	// drop the oldest counts, keep events, refuse new messages when only
	// events are left) or "drop_newest".
	Policy string
}

// CommandsConfig configures the command topics.
type CommandsConfig struct {
	// Enabled turns command handling on or off; nil means on. When off,
	// every command gets an error result.
	Enabled *bool
	// Disabled lists command names that get an error result.
	Disabled []string
	// MaxBody bounds a command body. It defaults to 64 KiB.
	MaxBody int
	// Timeout bounds one command's handler. It defaults to 30 seconds.
	Timeout time.Duration
	// MaxAge refuses a command whose ts is older than this, or as far in
	// the future. It defaults to 60 seconds.
	MaxAge time.Duration
}

func (c *Config) defaults() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url: required"))
	} else if u, err := urlcred.Parse(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url: %w", err))
	} else {
		switch u.Scheme {
		case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
		default:
			errs = append(errs, fmt.Errorf("url %s: scheme %q is not tcp, mqtt, ssl, tls, mqtts, ws or wss", urlcred.Redact(c.URL), u.Scheme))
		}
		if u.Host == "" {
			errs = append(errs, fmt.Errorf("url %s: no host", urlcred.Redact(c.URL)))
		}
	}
	if err := event.CheckName(c.Site, false); err != nil {
		errs = append(errs, fmt.Errorf("site: %w", err))
	}
	if err := event.CheckName(c.Agent, false); err != nil {
		errs = append(errs, fmt.Errorf("agent: %w", err))
	}
	switch spool.Fsync(c.Spool.Fsync) {
	case "", spool.FsyncAlways, spool.FsyncInterval, spool.FsyncNever:
	default:
		errs = append(errs, fmt.Errorf("spool.fsync: %q is not one of always, interval, never", c.Spool.Fsync))
	}
	switch spool.Policy(c.Spool.Policy) {
	case "", spool.PolicyDropOldestCounts, spool.PolicyDropNewest:
	default:
		errs = append(errs, fmt.Errorf("spool.policy: %q is not one of drop_oldest_counts, drop_newest", c.Spool.Policy))
	}
	if c.Spool.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("spool.max_bytes: must be positive, got %d", c.Spool.MaxBytes))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: cert_file and key_file go together"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.ClientID == "" {
		c.ClientID = "pantau-" + c.Site + "-" + c.Agent
	}
	setDur(&c.Keepalive, 30*time.Second)
	setDur(&c.ConnectTimeout, 10*time.Second)
	setDur(&c.PublishTimeout, 10*time.Second)
	setDur(&c.ReconnectMin, time.Second)
	setDur(&c.ReconnectMax, 60*time.Second)
	c.ReconnectMax = max(c.ReconnectMax, c.ReconnectMin)
	setDur(&c.StatusInterval, 60*time.Second)
	setDur(&c.Commands.Timeout, 30*time.Second)
	if c.MaxPayload <= 0 {
		c.MaxPayload = 1 << 20
	}
	if c.Commands.MaxBody <= 0 {
		c.Commands.MaxBody = 64 << 10
	}
	if c.Inflight <= 0 {
		c.Inflight = 32
	}
	if c.Commands.MaxAge <= 0 {
		c.Commands.MaxAge = time.Minute
	}
	if c.ReadBackTimeout <= 0 {
		c.ReadBackTimeout = 5 * time.Second
	}
	if c.Spool.Dir == "" {
		c.Spool.Dir = filepath.Join(os.TempDir(), "pantau-spool", c.Site+"-"+c.Agent)
	}
	return nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func (c *Config) spoolOptions() spool.Options {
	return spool.Options{
		MaxBytes: c.Spool.MaxBytes,
		MaxAge:   c.Spool.MaxAge,
		Fsync:    spool.Fsync(c.Spool.Fsync),
		Policy:   spool.Policy(c.Spool.Policy),
	}
}

// tlsConfig builds the tls.Config for ssl/tls/mqtts/wss URLs, or nil.
func (c *Config) tlsConfig() (*tls.Config, error) {
	u, _ := url.Parse(c.URL)
	t := c.TLS
	secure := u.Scheme == "ssl" || u.Scheme == "tls" || u.Scheme == "mqtts" || u.Scheme == "wss"
	if !secure {
		if t.CAFile != "" || t.CertFile != "" {
			return nil, fmt.Errorf("tls: files given but url %s is not ssl://, tls://, mqtts:// or wss://", urlcred.Redact(c.URL))
		}
		return nil, nil
	}
	cfg := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate in it", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
