package onvifsim

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// TB is the part of testing.TB ReexecInNetns uses (declared here so the
// simulator does not link package testing into binaries).
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// netnsEnv marks the re-executed test process running inside the namespace.
const netnsEnv = "PANTAU_TEST_NETNS"

// InNetns reports whether this test process is the copy ReexecInNetns
// started inside a network namespace.
func InNetns() bool { return os.Getenv(netnsEnv) != "" }

// ReexecInNetns runs the test named test of the current test binary again,
// inside a fresh network namespace whose loopback is up and
// multicast-capable with 224.0.0.0/4 routed to it, so WS-Discovery
// multicast works between simulators and the code under test without
// touching the host's network. It fails t with the child's output when the
// child fails, and when the namespace cannot be made (needs root and
// iproute2). The namespace is deleted afterwards.
//
// Use it as the first lines of a test:
//
//	if !onvifsim.InNetns() {
//		onvifsim.ReexecInNetns(t, "TestX")
//		return
//	}
func ReexecInNetns(t TB, test string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("%s needs root to create a network namespace (ip netns add); run the tests as root", test)
	}
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		t.Fatalf("%s needs the ip command: apt-get install iproute2 (scripts/setup.sh)", test)
	}
	name := "pantau-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(ipPath, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip %v: %v: %s (is `ip netns` available? it needs root and a kernel with network namespaces)", args, err, out)
		}
	}
	run("netns", "add", name)
	t.Cleanup(func() { _ = exec.Command(ipPath, "netns", "del", name).Run() })
	run("-n", name, "link", "set", "lo", "up")
	run("-n", name, "link", "set", "lo", "multicast", "on")
	run("-n", name, "route", "add", "224.0.0.0/4", "dev", "lo")

	cmd := exec.Command(ipPath, "netns", "exec", name, os.Args[0], "-test.run", "^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), netnsEnv+"="+name)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("inside network namespace %s:\n%s", name, indent(out.Bytes()))
	if err != nil {
		t.Fatalf("%s failed inside the network namespace: %v", test, err)
	}
	if !bytes.Contains(out.Bytes(), []byte("--- PASS: "+test)) {
		t.Fatalf("%s did not run inside the network namespace", test)
	}
}

func indent(b []byte) string {
	return fmt.Sprintf("    %s", bytes.ReplaceAll(bytes.TrimSpace(b), []byte("\n"), []byte("\n    ")))
}
