package testbroker

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Option changes the broker's configuration.
type Option func(*options)

type options struct {
	persistence bool
	passwords   map[string]string
	tls         *TLS
	bridges     []Bridge
	extra       []string
	websockets  bool
}

// TLS configures a second listener that speaks TLS (see Broker.TLSURL).
// Files are PEM paths; the test makes them (e.g. with crypto/x509).
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
	// Address is the remote broker's "host:port".
	Address string
	// Topics are mosquitto topic patterns such as "pantau/v1/# out 1";
	// they default to "# out 1".
	Topics []string
}

// WithPersistence turns on mosquitto persistence in the broker's directory,
// so retained messages, sessions and their queued messages survive Stop and
// Start (not Kill).
func WithPersistence() Option { return func(o *options) { o.persistence = true } }

// WithPasswords turns off anonymous access and allows only these users
// (user → password), through a password file made with mosquitto_passwd.
func WithPasswords(users map[string]string) Option {
	return func(o *options) { o.passwords = users }
}

// WithTLS adds a TLS listener on its own port.
func WithTLS(t TLS) Option { return func(o *options) { o.tls = &t } }

// WithWebsockets adds a plain MQTT-over-websockets listener on its own
// port (see Broker.WSURL).
func WithWebsockets() Option { return func(o *options) { o.websockets = true } }

// WithBridge adds a bridge connection to another broker.
func WithBridge(br Bridge) Option { return func(o *options) { o.bridges = append(o.bridges, br) } }

// WithConfig appends raw mosquitto.conf text (for example a bridge section
// rendered from configs/mosquitto). It goes after everything else.
func WithConfig(text string) Option { return func(o *options) { o.extra = append(o.extra, text) } }

func (b *Broker) config() string {
	var c strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&c, format+"\n", a...) }
	w("# written by agent/internal/testbroker")
	w("per_listener_settings false")
	w("log_dest stderr")
	w("log_type error")
	w("log_type warning")
	w("log_type notice")
	w("log_type information")
	w("log_timestamp_format %%H:%%M:%%S")
	// Tests hold a subscriber's session across an outage; do not cap it.
	w("max_queued_messages 0")
	if os.Geteuid() == 0 {
		// As root, mosquitto would switch to user "mosquitto", which may not
		// read the test's temporary files.
		w("user root")
	}
	if b.opts.passwords != nil {
		w("allow_anonymous false")
		w("password_file %s", filepath.Join(b.dir, "passwd"))
	} else {
		w("allow_anonymous true")
	}
	if b.opts.persistence {
		w("persistence true")
		w("persistence_location %s/", b.dir)
	} else {
		w("persistence false")
	}
	w("listener %d 127.0.0.1", b.port)
	if t := b.opts.tls; t != nil {
		w("listener %d 127.0.0.1", b.tlsPort)
		w("cafile %s", t.CAFile)
		w("certfile %s", t.CertFile)
		w("keyfile %s", t.KeyFile)
		w("require_certificate %t", t.RequireClientCert)
	}
	if b.opts.websockets {
		w("listener %d 127.0.0.1", b.wsPort)
		w("protocol websockets")
	}
	for _, br := range b.opts.bridges {
		name := br.Name
		if name == "" {
			name = "bridge"
		}
		w("connection %s", name)
		w("address %s", br.Address)
		w("cleansession false")
		w("restart_timeout 1 5")
		topics := br.Topics
		if len(topics) == 0 {
			topics = []string{"# out 1"}
		}
		for _, tp := range topics {
			w("topic %s", tp)
		}
	}
	for _, e := range b.opts.extra {
		w("%s", e)
	}
	return c.String()
}

func writePasswordFile(path string, users map[string]string) error {
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
