package testbroker

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Config describes a broker. Start builds one from Options; Run takes it
// as is.
type Config struct {
	// Dir holds the config, the persistence file and the password file.
	// Run requires it; Start uses a temporary directory.
	Dir string
	// Port of the plain listener on 127.0.0.1; 0 picks a free one.
	Port int
	// Persistence keeps retained messages and sessions across Stop and
	// Restart (not Kill); it is saved every second.
	Persistence bool
	// Passwords, when set, turns off anonymous access and allows only these
	// users (user → password).
	Passwords map[string]string
	// TLS adds a TLS listener on its own port.
	TLS *TLS
	// Websockets adds a plain MQTT-over-websockets listener on its own port.
	Websockets bool
	// Bridges are outgoing bridge connections.
	Bridges []Bridge
	// Extra is raw mosquitto.conf text appended after everything else.
	Extra []string
	// Raw, when set, makes the whole mosquitto.conf from the plain
	// listener's port, instead of everything above but Dir, Port and
	// Passwords (the file is written; Raw names it if it wants it): a
	// shipped config under test. Only what a test run needs is appended: logging to
	// the captured output, the persistence directory, and "user root"
	// when running as root.
	Raw func(port int) string
}

// Option changes the configuration of a broker made by Start.
type Option func(*Config)

// TLS configures a second listener that speaks TLS (see Broker.TLSURL).
// Files are PEM paths (NewCerts makes them).
type TLS struct {
	CAFile   string
	CertFile string
	KeyFile  string
	// RequireClientCert makes the broker refuse clients without a
	// certificate signed by CAFile.
	RequireClientCert bool
}

// Bridge is one outgoing bridge connection from this broker to another.
type Bridge struct {
	// Name is the connection name; it defaults to "bridge".
	Name string
	// ClientID is the bridge's client id on the remote broker; mosquitto
	// picks one when empty.
	ClientID string
	// Address is the remote broker's "host:port".
	Address string
	// Topics are mosquitto topic patterns such as "pantau/v1/# out 1";
	// they default to "# out 1".
	Topics []string
}

// WithPersistence turns on mosquitto persistence in the broker's directory,
// so retained messages, sessions and their queued messages survive Stop and
// Start (not Kill).
func WithPersistence() Option { return func(c *Config) { c.Persistence = true } }

// WithPort makes the plain listener use this port (the README's 1883 in a
// network namespace of the test's own) instead of a free one.
func WithPort(port int) Option { return func(c *Config) { c.Port = port } }

// WithPasswords turns off anonymous access and allows only these users
// (user → password), through a password file made with mosquitto_passwd.
func WithPasswords(users map[string]string) Option {
	return func(c *Config) { c.Passwords = users }
}

// WithTLS adds a TLS listener on its own port.
func WithTLS(t TLS) Option { return func(c *Config) { c.TLS = &t } }

// WithWebsockets adds a plain MQTT-over-websockets listener on its own
// port (see Broker.WSURL).
func WithWebsockets() Option { return func(c *Config) { c.Websockets = true } }

// WithBridge adds a bridge connection to another broker.
func WithBridge(br Bridge) Option { return func(c *Config) { c.Bridges = append(c.Bridges, br) } }

// WithConfig appends raw mosquitto.conf text (for example a bridge section
// rendered from configs/mosquitto). It goes after everything else.
func WithConfig(text string) Option { return func(c *Config) { c.Extra = append(c.Extra, text) } }

// WithRawConfig runs a whole mosquitto.conf made by conf from the plain
// listener's port (see Config.Raw).
func WithRawConfig(conf func(port int) string) Option { return func(c *Config) { c.Raw = conf } }

func (b *Broker) config() string {
	var c strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&c, format+"\n", a...) }
	o := b.opts
	if o.Raw != nil {
		c.WriteString(o.Raw(b.port))
		w("")
		w("# added by agent/testbroker")
		w("log_dest stderr")
		w("persistence_location %s/", o.Dir)
		if os.Geteuid() == 0 {
			w("user root")
		}
		return c.String()
	}
	w("# written by agent/testbroker")
	w("per_listener_settings false")
	w("log_dest stderr")
	w("log_type error")
	w("log_type warning")
	w("log_type notice") // says when a bridge connects
	w("log_type information")
	w("log_timestamp_format %%H:%%M:%%S")
	// Tests hold a subscriber's session across an outage; do not cap it.
	w("max_queued_messages 0")
	w("max_inflight_messages 200")
	if os.Geteuid() == 0 {
		// As root, mosquitto would switch to user "mosquitto", which may not
		// read the test's temporary files.
		w("user root")
	}
	if o.Passwords != nil {
		w("allow_anonymous false")
		w("password_file %s", filepath.Join(o.Dir, "passwd"))
	} else {
		w("allow_anonymous true")
	}
	if o.Persistence {
		w("persistence true")
		w("persistence_location %s/", o.Dir)
		w("autosave_interval 1")
	} else {
		w("persistence false")
	}
	w("listener %d 127.0.0.1", b.port)
	if t := o.TLS; t != nil {
		w("listener %d 127.0.0.1", b.tlsPort)
		w("cafile %s", t.CAFile)
		w("certfile %s", t.CertFile)
		w("keyfile %s", t.KeyFile)
		w("require_certificate %t", t.RequireClientCert)
	}
	if o.Websockets {
		w("listener %d 127.0.0.1", b.wsPort)
		w("protocol websockets")
	}
	for _, br := range o.Bridges {
		name := br.Name
		if name == "" {
			name = "bridge"
		}
		w("connection %s", name)
		w("address %s", br.Address)
		if br.ClientID != "" {
			w("remote_clientid %s", br.ClientID)
		}
		w("cleansession false")
		w("restart_timeout 1 2")
		topics := br.Topics
		if len(topics) == 0 {
			topics = []string{"# out 1"}
		}
		for _, tp := range topics {
			w("topic %s", tp)
		}
	}
	for _, e := range o.Extra {
		w("%s", e)
	}
	return c.String()
}

// WritePasswordFile writes a mosquitto password file (mode 0600) for users
// (user → password) with mosquitto_passwd.
func WritePasswordFile(path string, users map[string]string) error {
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		return fmt.Errorf("mosquitto_passwd not found: run scripts/setup.sh (apt-get install mosquitto)")
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return err
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		out, err := exec.Command(bin, "-b", path, u, users[u]).CombinedOutput()
		if err != nil {
			return fmt.Errorf("mosquitto_passwd %s: %v: %s", u, err, out)
		}
	}
	return nil
}
