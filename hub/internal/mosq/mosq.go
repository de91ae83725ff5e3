// Package mosq runs Debian's mosquitto as a child process on 127.0.0.1,
// for the fleet simulation and the hub's tests: a site broker bridged to a
// central one, stopped and started again on the same port mid-run.
//
// (agent/internal/testbroker does the same for the agent's tests, but it
// is internal to agent/ and bound to testing.TB; the simulation is a
// command, so it needs this one.)
package mosq

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bridge is an outgoing bridge to another broker.
type Bridge struct {
	// Name of the connection; ClientID is its client id on the remote.
	Name, ClientID string
	// Address is the remote's "host:port".
	Address string
	// Topics are mosquitto topic lines such as "pantau/v1/# out 1".
	Topics []string
}

// Options configure a Broker.
type Options struct {
	// Dir holds the config, the persistence file and the log. Required.
	Dir string
	// Port to listen on; 0 picks a free one.
	Port int
	// Bridges to other brokers.
	Bridges []Bridge
	// Extra mosquitto.conf lines.
	Extra []string
}

// Broker is one mosquitto process. Methods are safe for concurrent use.
type Broker struct {
	opts Options
	bin  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  bytes.Buffer
}

// Find returns mosquitto's path, or an error naming the install step.
func Find() (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("mosquitto not found: run scripts/setup.sh (apt-get install mosquitto)")
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// New writes the broker's config and starts it, waiting until it accepts
// connections. Stop it with Stop.
func New(o Options) (*Broker, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	if o.Port == 0 {
		if o.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	b := &Broker{opts: o, bin: bin}
	if err := os.WriteFile(filepath.Join(o.Dir, "mosquitto.conf"), []byte(b.config()), 0o600); err != nil {
		return nil, err
	}
	return b, b.Start()
}

// Port is the broker's listening port; it stays across Stop and Start.
func (b *Broker) Port() int { return b.opts.Port }

// Addr is "127.0.0.1:port".
func (b *Broker) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.opts.Port)) }

// URL is "tcp://127.0.0.1:port".
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Log returns what mosquitto wrote (errors, warnings, notices such as
// "New client connected … as bridge-site").
func (b *Broker) Log() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

func (b *Broker) config() string {
	var c strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&c, f+"\n", a...) }
	w("per_listener_settings false")
	w("allow_anonymous true")
	w("log_dest stderr")
	w("log_type error")
	w("log_type warning")
	w("log_type notice") // says when a bridge connects
	w("persistence true")
	w("persistence_location %s/", b.opts.Dir)
	w("autosave_interval 1")
	w("max_queued_messages 0")
	w("max_inflight_messages 200")
	if os.Geteuid() == 0 {
		w("user root") // else mosquitto drops to a user who cannot read the temp dir
	}
	w("listener %d 127.0.0.1", b.opts.Port)
	for _, br := range b.opts.Bridges {
		w("connection %s", br.Name)
		w("address %s", br.Address)
		if br.ClientID != "" {
			w("remote_clientid %s", br.ClientID)
		}
		w("cleansession false")
		w("try_private true")
		w("restart_timeout 1 2")
		w("bridge_max_packet_size 0")
		for _, t := range br.Topics {
			w("topic %s", t)
		}
	}
	for _, e := range b.opts.Extra {
		w("%s", e)
	}
	return c.String()
}

// Start starts the broker (again) on its port.
func (b *Broker) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return nil
	}
	cmd := exec.Command(b.bin, "-c", filepath.Join(b.opts.Dir, "mosquitto.conf"))
	cmd.Stdout, cmd.Stderr = &lockedWriter{b}, &lockedWriter{b}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck // exit status is in the log
	b.cmd, b.done = cmd, done
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			b.cmd = nil
			return fmt.Errorf("mosquitto exited at start: %s", b.log.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", b.Addr(), 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("mosquitto on %s: not listening after 10 s", b.Addr())
}

// Stop ends the broker gracefully (SIGTERM: it saves its persistence).
func (b *Broker) Stop() {
	b.mu.Lock()
	cmd, done := b.cmd, b.done
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited already
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill() //nolint:errcheck // as above
		<-done
	}
}

type lockedWriter struct{ b *Broker }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if w.b.log.Len() < 1<<20 {
		w.b.log.Write(p)
	}
	return len(p), nil
}
