package rtsp

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// freeClosedPort returns a loopback address nothing listens on.
func freeClosedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRunConnectionRefused(t *testing.T) {
	url := "rtsp://admin:hunter22@" + freeClosedPort(t) + "/cam"
	c := New(Config{URL: url}, func(AccessUnit) { t.Error("got an access unit") })
	start := time.Now()
	err := c.Run(context.Background())
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrConnect) {
		t.Fatalf("err = %v, want ErrConnect", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("refused connection took %s to report", d)
	}
	msg := err.Error()
	for _, want := range []string{"connection refused", "rtsp rtsp://xxxxx@127.0.0.1:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "hunter22") || strings.Contains(msg, "admin") {
		t.Errorf("error %q leaks the credentials", msg)
	}
}

// TestRunSilentServer: a TCP server that accepts and never answers makes
// the handshake time out after DialTimeout, not hang.
func TestRunSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c := New(Config{URL: "rtsp://" + l.Addr().String() + "/cam", DialTimeout: 500 * time.Millisecond},
		func(AccessUnit) {})
	err = c.Run(context.Background())
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

func TestRunBadConfig(t *testing.T) {
	cases := []struct {
		name, url, transport, want string
	}{
		{"scheme", "http://admin:hunter22@127.0.0.1/cam", "", "invalid URL"},
		{"garbage", "rtsp://admin:hun ter22@[::1/cam", "", "invalid URL"},
		{"transport", "rtsp://admin:hunter22@127.0.0.1/cam", "sctp", `transport "sctp"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := New(Config{URL: tc.url, Transport: tc.transport}, func(AccessUnit) {}).Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter22") || strings.Contains(err.Error(), "hun ter22") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New(Config{URL: "rtsp://" + freeClosedPort(t) + "/cam"}, func(AccessUnit) {}).Run(ctx)
	if err != nil {
		t.Fatalf("Run on a cancelled context = %v, want nil", err)
	}
}
