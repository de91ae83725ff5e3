// Package testbroker runs a real Debian mosquitto broker on 127.0.0.1: a
// fresh config in a directory, a free port, and helpers to stop, restart
// (on the same port) and kill it, plus a paho subscriber that records what
// it receives and throw-away TLS certificates. It is the one mosquitto
// starter of the project: the agent's and the hub's tests use Start, the
// fleet simulation (a command, not a test) uses Run.
//
// A test that calls Start on a machine without mosquitto fails with the
// install step in its message; it never skips. The package does not
// import "testing" (TB is the part of testing.TB it needs), so a command
// may link it.
package testbroker

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// TB is the part of testing.TB the helpers use; a *testing.T is one.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// Broker is one mosquitto process started by Start or Run. Its methods are
// safe to call concurrently, but a Stop racing a Start is the caller's
// problem.
type Broker struct {
	t    TB // nil for a broker made by Run
	opts Config
	bin  string

	port    int
	tlsPort int
	wsPort  int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *LogBuffer
}

// Start writes a config in a temporary directory, starts mosquitto and
// waits until it accepts TCP connections; it fails the test if that does
// not happen. t.Cleanup stops it (and its bridge connections).
func Start(t TB, opts ...Option) *Broker {
	t.Helper()
	var c Config
	for _, o := range opts {
		o(&c)
	}
	c.Dir = t.TempDir()
	b, err := run(c, 5)
	if b != nil {
		t.Cleanup(b.Stop)
	}
	if err != nil {
		t.Fatalf("testbroker: %v", err)
	}
	b.t = t
	return b
}

// Run starts a broker for c (Dir is required) and waits until it accepts
// connections. The caller must Stop it.
func Run(c Config) (*Broker, error) {
	if c.Dir == "" {
		return nil, fmt.Errorf("testbroker: Config.Dir is required")
	}
	return run(c, 1)
}

func run(c Config, attempts int) (*Broker, error) {
	bin, err := findMosquitto()
	if err != nil {
		return nil, err
	}
	b := &Broker{opts: c, bin: bin, log: &LogBuffer{Max: 4 << 20}}
	if c.Passwords != nil {
		if err := WritePasswordFile(filepath.Join(c.Dir, "passwd"), c.Passwords); err != nil {
			return nil, err
		}
	}
	// A free port found by listening on :0 can be taken by someone else
	// before mosquitto binds it; try a few times (a fixed port: once).
	if c.Port != 0 {
		attempts = 1
	}
	for attempt := 0; attempt < attempts; attempt++ {
		if b.port = c.Port; b.port == 0 {
			if b.port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		if c.TLS != nil && c.Raw == nil {
			if b.tlsPort, err = FreePort(); err != nil {
				return nil, err
			}
		}
		if c.Websockets && c.Raw == nil {
			if b.wsPort, err = FreePort(); err != nil {
				return nil, err
			}
		}
		if err = b.start(); err == nil {
			return b, nil
		}
	}
	return b, err
}

func findMosquitto() (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	// Debian installs the broker in /usr/sbin, which is not always on PATH.
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
		return 0, fmt.Errorf("testbroker: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the plain listener, "tcp://127.0.0.1:PORT".
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Addr is the plain listener's "127.0.0.1:PORT".
func (b *Broker) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)) }

// Port is the plain listener's port; it stays the same across Stop/Start.
func (b *Broker) Port() int { return b.port }

// TLSURL is the TLS listener, "ssl://127.0.0.1:PORT"; empty without WithTLS.
func (b *Broker) TLSURL() string {
	if b.tlsPort == 0 {
		return ""
	}
	return "ssl://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(b.tlsPort))
}

// WSURL is the websockets listener, "ws://127.0.0.1:PORT"; empty without
// WithWebsockets.
func (b *Broker) WSURL() string {
	if b.wsPort == 0 {
		return ""
	}
	return "ws://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(b.wsPort))
}

// Dir is the broker's directory (config, persistence, password file).
func (b *Broker) Dir() string { return b.opts.Dir }

// Log returns everything mosquitto has logged so far (all runs).
func (b *Broker) Log() string { return b.log.String() }

// Running reports whether the broker process is alive.
func (b *Broker) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cmd != nil
}

// Start restarts a broker made by the function Start after Stop or Kill,
// on the same port(s); it fails the test if the broker does not accept
// connections within 10 s. A broker made by Run uses Restart.
func (b *Broker) Start() {
	if b.t == nil {
		panic("testbroker: Broker.Start is for brokers of a test; use Restart")
	}
	b.t.Helper()
	if err := b.Restart(); err != nil {
		b.t.Fatalf("testbroker: %v", err)
	}
}

// Restart starts a stopped or killed broker again on the same port(s) and
// waits until it accepts connections (at most 10 s). Restarting a running
// broker does nothing.
func (b *Broker) Restart() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := b.start()
		if err == nil {
			return nil
		}
		// The old socket may linger briefly after a kill; retry.
		if time.Now().After(deadline) {
			return fmt.Errorf("restart on port %d: %w", b.port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *Broker) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return nil
	}
	conf := filepath.Join(b.opts.Dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(b.config()), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(b.bin, "-c", conf)
	cmd.Stdout = b.log
	cmd.Stderr = b.log
	// Own process group, so a signal to the test does not reach the broker
	// and the broker does not outlive a crashed test run for long.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", b.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("mosquitto exited at start; its log:\n%s", b.log.String())
		default:
		}
		if ready(b.port) && (b.tlsPort == 0 || ready(b.tlsPort)) && (b.wsPort == 0 || ready(b.wsPort)) {
			b.cmd, b.done = cmd, done
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("mosquitto did not accept connections within 5 s; its log:\n%s", b.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ready(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Stop ends the broker gracefully (SIGTERM; mosquitto saves its persistence
// file if persistence is on) and waits for it to exit. Clients see their
// connections drop. Stopping a stopped broker does nothing.
func (b *Broker) Stop() { b.signal(syscall.SIGTERM) }

// Kill ends the broker with SIGKILL (no persistence save) and waits for it.
func (b *Broker) Kill() { b.signal(syscall.SIGKILL) }

func (b *Broker) signal(sig syscall.Signal) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(sig)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	b.cmd, b.done = nil, nil
}

// LogBuffer is a log sink safe for concurrent writers (exec goroutines,
// slog handlers) that a test reads back with String: the broker's output
// here, and the agent's or a child process's log in other packages' tests.
// With Max > 0 it keeps only the first Max bytes, so a long run does not
// grow it forever; the zero value keeps everything.
type LogBuffer struct {
	Max int
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p (or drops it once Max bytes are kept); it never fails.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Max > 0 && l.buf.Len() >= l.Max {
		return len(p), nil
	}
	return l.buf.Write(p)
}

// String returns what was written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
