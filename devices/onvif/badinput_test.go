package onvif_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/devices/onvif"
)

// badServers are HTTP endpoints that are not well-behaved ONVIF devices.
// Each must make Probe return a clear error, quickly, without a crash.
func TestProbeBadServers(t *testing.T) {
	fault, err := os.ReadFile(filepath.Join(captures, "SUNBA", "device_management", "Fault.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		is      error
		say     string
	}{
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>Router login</h1></body></html>"))
		}, onvif.ErrNotSOAP, "not a SOAP envelope"},
		{"50 MB response", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><tds:GetSystemDateAndTimeResponse xmlns:tds="x">`))
			chunk := bytes.Repeat([]byte("<a>padding</a>"), 1<<16)
			for n := 0; n < 50<<20; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, onvif.ErrTooLarge, "too large"},
		{"malformed XML", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTimeResponse><SystemDateAndTime><UTCDateTime><Time><Hour>1</Minute>`))
		}, nil, "malformed"},
		{"SOAP fault", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			_, _ = w.Write(fault)
		}, nil, "ActionNotSupported"},
		{"HTTP 404", func(w http.ResponseWriter, r *http.Request) {
			http.NotFound(w, r)
		}, nil, "HTTP 404"},
		{"HTTP 401 without digest", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			w.WriteHeader(401)
		}, onvif.ErrAuth, "HTTP 401"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			_, err := onvif.Probe(probeCtx(t), srv.URL+"/onvif/device_service", "admin", "x")
			if err == nil {
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v, want errors.Is %v", err, c.is)
			}
			if !strings.Contains(err.Error(), c.say) {
				t.Errorf("err = %q, want it to say %q", err, c.say)
			}
		})
	}
}

// TestProbeSilentAndClosingPeers: a camera that accepts and never answers
// must time out (per-request timeout), one that accepts and closes must
// fail at once. Neither may hang: the test context is the backstop.
func TestProbeSilentAndClosingPeers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hold := make(chan struct{})
	defer close(hold)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-hold; c.Close() }() // never answers
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = onvif.Probe(ctx, "http://"+ln.Addr().String()+"/onvif/device_service", "", "", onvif.WithTimeout(300*time.Millisecond))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Errorf("silent peer: err = %v, want a timeout", err)
	}
	if ctx.Err() != nil {
		t.Error("the per-request timeout did not fire before the test's backstop")
	}

	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	go func() {
		for {
			c, err := ln2.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, err = onvif.Probe(ctx, "http://"+ln2.Addr().String()+"/onvif/device_service", "", "")
	if err == nil || !strings.Contains(err.Error(), "GetSystemDateAndTime") {
		t.Errorf("closing peer: err = %v, want an error naming the call", err)
	}
}

func TestProbeBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x/", "http://", "::", "http://user:pw@[::1"} {
		_, err := onvif.Probe(context.Background(), u, "", "")
		if err == nil || strings.Contains(err.Error(), "pw") {
			t.Errorf("Probe(%q) err = %v, want an error without the password", u, err)
		}
	}
}
