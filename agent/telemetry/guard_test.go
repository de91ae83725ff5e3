package telemetry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantau/pantau/agent/httpauth"
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
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
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
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
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

func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pantau-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
