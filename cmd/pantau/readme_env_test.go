package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/camsim"
	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/devices/onvif/onvifsim"
)

// The world TestReadmeTechnicianPath runs the README's commands in: a work
// directory laid out like the checkout, a real mosquitto on 127.0.0.1:1883
// and two simulated cameras, all inside the test's network namespace.

// readmeCamera is one simulated camera and what discover must say of it.
type readmeCamera struct {
	ip, manufacturer, model, serial string
	// name is the camera name discover gives it (onvif.CameraName).
	name string
	// credsInURI makes the ONVIF side hand out the stream URI with the
	// credentials in it, as some cameras do; nothing may print them.
	credsInURI bool
	// device and stream are set once it runs: the ONVIF device service
	// and the RTSP URL without credentials.
	device, stream string
}

var readmeCameras = []readmeCamera{
	{ip: "127.0.0.2", manufacturer: "Acme", model: "Dome-4", serial: "SN0000042", name: "dome-4-000042"},
	{ip: "127.0.0.3", manufacturer: "Bolt", model: "Bullet X2", serial: "BX2-778899", name: "bullet-x2-778899", credsInURI: true},
}

// readmeRun holds the state of one run through the README's commands.
type readmeRun struct {
	t          *testing.T
	work, root string
	env        []string // base environment of every command
	exports    []string // the README's export lines so far
	cams       []readmeCamera
	agent      *readmeProc // pantau run, once started
	broker     *testbroker.Broker
}

func newReadmeRun(t *testing.T) *readmeRun {
	t.Helper()
	bin := os.Getenv(readmeBinEnv)
	if bin == "" {
		t.Fatalf("%s not set: the test outside the namespace builds the binary", readmeBinEnv)
	}
	if _, err := exec.LookPath("mosquitto_sub"); err != nil {
		t.Fatal("mosquitto_sub (the README's command-centre view) not found: run scripts/setup.sh (apt-get install mosquitto-clients)")
	}
	r := &readmeRun{t: t, work: t.TempDir()}
	r.root = filepath.Join(r.work, "root")
	configs, err := filepath.Abs("../../configs")
	if err != nil {
		t.Fatal(err)
	}
	// Directories every Debian box has; install(1) without -D needs them.
	for _, d := range []string{"bin", "root/usr/local/bin", "root/etc/systemd/system"} {
		if err := os.MkdirAll(filepath.Join(r.work, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(bin, filepath.Join(r.work, "bin", "pantau")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(configs, filepath.Join(r.work, "configs")); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PANTAU_") {
			r.env = append(r.env, kv)
		}
	}
	r.env = append(r.env, "PANTAU_SPOOL_DIR="+filepath.Join(r.work, "spool"))
	r.broker = startReadmeBroker(t)
	r.cams = startReadmeCameras(t)
	return r
}

// startReadmeBroker runs mosquitto on 127.0.0.1:1883 (the namespace's own
// loopback) until the test ends.
func startReadmeBroker(t *testing.T) *testbroker.Broker {
	t.Helper()
	return testbroker.Start(t, testbroker.WithPort(1883))
}

// startReadmeCameras starts each of readmeCameras on its own loopback
// address: RTSP from the test clip and ONVIF with WS-Discovery, both
// requiring admin and readmePassword.
func startReadmeCameras(t *testing.T) []readmeCamera {
	t.Helper()
	cams := append([]readmeCamera(nil), readmeCameras...)
	for i := range cams {
		c := &cams[i]
		stream, err := camsim.New(camsim.Config{Clip: readmeClip, Addr: c.ip + ":0", User: "admin", Password: readmePassword})
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stream.Close)
		c.stream = stream.URL()
		uri := c.stream
		if c.credsInURI {
			uri = strings.Replace(uri, "rtsp://", "rtsp://admin:"+readmePassword+"@", 1)
		}
		sim, err := onvifsim.New(onvifsim.Config{Addr: c.ip + ":0", DiscoveryAddr: c.ip, RTSPURL: uri,
			User: "admin", Password: readmePassword, Manufacturer: c.manufacturer, Model: c.model, Serial: c.serial})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sim.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		c.device = sim.DeviceURL()
	}
	return cams
}

// sh returns a command running line in a fresh sh in the work directory,
// after the README's export lines so far.
func (r *readmeRun) sh(ctx context.Context, line string) *exec.Cmd {
	script := strings.Join(append(append([]string(nil), r.exports...), line), "\n")
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Dir, cmd.Env = r.work, r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// runOK runs line to its end (at most 30 s) and returns its stdout; a
// non-zero exit fails the test.
func (r *readmeRun) runOK(line string) string {
	r.t.Helper()
	r.t.Logf("$ %s", line)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb readmeOutput
	cmd := r.sh(ctx, line)
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", line, err, out.String(), errb.String())
	}
	r.t.Logf("(%s)\n%s%s", time.Since(start).Round(time.Millisecond), out.String(), errb.String())
	return out.String() + errb.String()
}

// readmeProc is a command left running in the background.
type readmeProc struct {
	line      string
	cmd       *exec.Cmd
	out, errb readmeOutput
	done      chan struct{}
	err       error
	started   time.Time
}

// start runs line in the background (exec'd, so signals reach it); the
// test's end kills it if it still runs.
func (r *readmeRun) start(line string) *readmeProc {
	r.t.Helper()
	p := &readmeProc{line: line, done: make(chan struct{})}
	p.cmd = r.sh(context.Background(), "exec "+line)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errb
	if err := p.cmd.Start(); err != nil {
		r.t.Fatalf("%s: %v", line, err)
	}
	p.started = time.Now()
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	r.t.Cleanup(func() { _ = p.stop(syscall.SIGKILL, 5*time.Second) })
	return p
}

// stop sends sig to the process group and waits up to timeout for the
// exit; it returns the exit error, or an error if it had to kill.
func (p *readmeProc) stop(sig syscall.Signal, timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("%s did not exit within %s of %v", p.line, timeout, sig)
	}
}

// underRoot rewrites an install line to write below r.root instead of /.
func (r *readmeRun) underRoot(line string) string {
	r.t.Helper()
	// The system user is the useradd line's, which the test does not run:
	// the files are the test's own, their modes are what is checked.
	line = strings.ReplaceAll(line, " -o pantau", "")
	line = strings.ReplaceAll(line, " -g pantau", "")
	for _, dir := range []string{"/usr/local/bin/", "/etc/"} {
		line = strings.ReplaceAll(line, " "+dir, " "+r.root+dir)
	}
	if strings.HasSuffix(line, " /etc/pantau") {
		line = strings.TrimSuffix(line, " /etc/pantau") + " " + r.root + "/etc/pantau"
	}
	for _, w := range strings.Fields(line) {
		if strings.HasPrefix(strings.Trim(w, `'"`), "/") && !strings.HasPrefix(w, r.root) {
			r.t.Fatalf("install line %q names %s outside the test's root: teach underRoot that directory", line, w)
		}
	}
	return line
}
