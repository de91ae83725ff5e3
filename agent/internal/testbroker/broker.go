// Package testbroker runs a real Debian mosquitto broker on 127.0.0.1 for
// tests: a fresh config in a temporary directory, a free port, and helpers to
// stop, restart (on the same port) and kill it, plus a paho subscriber that
// records what it receives.
//
// A test that calls Start on a machine without mosquitto fails with the
// install step in its message; it never skips.
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
	"testing"
	"time"
)

// Broker is one mosquitto process started by Start. Its methods are for the
// test goroutine; they are safe to call concurrently but a Stop racing a
// Start is the caller's problem.
type Broker struct {
	t    testing.TB
	opts options
	dir  string
	bin  string

	port    int
	tlsPort int
	wsPort  int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
}

// Start writes a config, starts mosquitto and waits until it accepts TCP
// connections. t.Cleanup stops it (and its bridge connections).
func Start(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	bin, err := findMosquitto()
	if err != nil {
		t.Fatal(err)
	}
	b := &Broker{t: t, bin: bin, dir: t.TempDir(), log: &lockedBuffer{}}
	for _, o := range opts {
		o(&b.opts)
	}
	if b.opts.passwords != nil {
		if err := writePasswordFile(filepath.Join(b.dir, "passwd"), b.opts.passwords); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(b.Stop)
	// A free port found by listening on :0 can be taken by someone else
	// before mosquitto binds it; try a few times.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		b.port = freePort(t)
		if b.opts.tls != nil {
			b.tlsPort = freePort(t)
		}
		if b.opts.websockets {
			b.wsPort = freePort(t)
		}
		if lastErr = b.start(); lastErr == nil {
			return b
		}
	}
	t.Fatalf("testbroker: %v", lastErr)
	return nil
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

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testbroker: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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

// Dir is the broker's private temporary directory (config, persistence).
func (b *Broker) Dir() string { return b.dir }

// Log returns everything mosquitto has logged so far (all runs).
func (b *Broker) Log() string { return b.log.String() }

// Running reports whether the broker process is alive.
func (b *Broker) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cmd != nil
}

// Start restarts a stopped or killed broker on the same port(s) and waits
// until it accepts connections. It fails the test if that does not happen
// within 10 s. Starting a running broker does nothing.
func (b *Broker) Start() {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := b.start()
		if err == nil {
			return
		}
		// The old socket may linger briefly after a kill; retry.
		if time.Now().After(deadline) {
			b.t.Fatalf("testbroker: restart on port %d: %v", b.port, err)
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
	conf := filepath.Join(b.dir, "mosquitto.conf")
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
// file if WithPersistence is on) and waits for it to exit. Clients see their
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

// lockedBuffer collects the broker's output from the exec goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
