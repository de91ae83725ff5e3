package agent

import (
	"net"
	"os"
	"testing"
)

func TestSnapshotURL(t *testing.T) {
	host, _ := os.Hostname()
	for listen, want := range map[string]string{
		"127.0.0.1:9090": "http://127.0.0.1:9090/snapshot/gate.jpg",
		":9090":          "http://" + net.JoinHostPort(host, "9090") + "/snapshot/gate.jpg",
		"0.0.0.0:9090":   "http://" + net.JoinHostPort(host, "9090") + "/snapshot/gate.jpg",
		"[::1]:9090":     "http://[::1]:9090/snapshot/gate.jpg",
	} {
		if got := snapshotURL(listen, false, "gate"); got != want {
			t.Errorf("snapshotURL(%q) = %q, want %q", listen, got, want)
		}
	}
}
