package telemetry

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantau/pantau/agent/httpauth"
	"github.com/pantau/pantau/agent/testbroker"
)

const guardToken = "0123456789abcdef0123456789abcdef"

func guardedServer(t *testing.T, metricsOpen bool, cfg httpauth.Config) (*Server, *httpauth.Auth) {
	t.Helper()
	dir := t.TempDir()
	cfg.TokensFile = filepath.Join(dir, "tokens")
	if err := os.WriteFile(cfg.TokensFile, []byte(guardToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := httpauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(cfg.Listen, prometheus.NewRegistry(), nil, nil)
	s.Guard(a.Require, metricsOpen, func() (net.Listener, error) { return httpauth.Listen(cfg) })
	s.Handle("GET /snapshot/{camera}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	return s, a
}

func status(t *testing.T, c *http.Client, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestGuard(t *testing.T) {
	for _, metricsOpen := range []bool{false, true} {
		s, _ := guardedServer(t, metricsOpen, httpauth.Config{Listen: "127.0.0.1:0"})
		base := startServer(t, s)
		c := http.DefaultClient
		wantMetrics := 401
		if metricsOpen {
			wantMetrics = 200
		}
		for _, tc := range []struct {
			path, token string
			want        int
		}{
			{"/healthz", "", 200},
			{"/readyz", "", 401},
			{"/readyz", guardToken, 200},
			{"/metrics", "", wantMetrics},
			{"/metrics", guardToken, 200},
			{"/snapshot/gate", "", 401},
			{"/snapshot/gate", guardToken, 200},
		} {
			if got := status(t, c, base+tc.path, tc.token); got != tc.want {
				t.Errorf("metrics_open=%v GET %s (token %v): %d, want %d", metricsOpen, tc.path, tc.token != "", got, tc.want)
			}
		}
	}
}

// TestGuardTLS serves over HTTPS with a certificate made here.
func TestGuardTLS(t *testing.T) {
	certs := testbroker.NewCerts(t) // the project's one throw-away CA and server certificate
	certFile, keyFile := certs.ServerCert, certs.ServerKey
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, _ := guardedServer(t, false, httpauth.Config{Listen: addr, CertFile: certFile, KeyFile: keyFile})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certs.Pool}}}
	var code int
	for i := 0; i < 50; i++ { // the listener opens in Run's goroutine
		req, _ := http.NewRequest("GET", "https://"+addr+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+guardToken)
		resp, err := c.Do(req)
		if err == nil {
			code = resp.StatusCode
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != 200 {
		t.Fatalf("HTTPS /metrics with token: %d, want 200", code)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP served on a TLS listener")
		}
	}
}
