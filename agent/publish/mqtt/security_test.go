package mqtt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testbroker"
)

// waitErr waits until the client reports a connection error.
func waitErr(t *testing.T, c *Client) error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.LastError() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no connection error after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c.LastError()
}

func TestTLSAndWebsocketURLs(t *testing.T) {
	certs := testbroker.NewCerts(t)
	b := testbroker.Start(t, certs.BrokerTLS(true), testbroker.WithWebsockets())
	tlsFiles := TLSConfig{CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}
	for _, tc := range []struct {
		name, url string
		tls       TLSConfig
	}{
		{"ssl", b.TLSURL(), tlsFiles},
		{"mqtts", strings.Replace(b.TLSURL(), "ssl://", "mqtts://", 1), tlsFiles},
		{"ws", b.WSURL(), TLSConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := testbroker.Subscribe(t, b.URL(), prefix+"#")
			cfg := testConfig(tc.url, t.TempDir())
			cfg.TLS = tc.tls
			c, _, _ := runClient(t, cfg, nil)
			waitConnected(t, c)
			if err := c.Publish(context.Background(), motion("cam1", 1)); err != nil {
				t.Fatal(err)
			}
			msgs := sub.Wait(t, 10*time.Second, "the event over "+tc.name, eventsDone(1))
			checkDelivery(t, msgs, map[string]uint64{"cam1": 1}, map[string]int{"cam1": 1})
		})
	}
}

func TestTLSRefusals(t *testing.T) {
	certs := testbroker.NewCerts(t)
	other := testbroker.NewCerts(t) // a CA the broker does not know
	b := testbroker.Start(t, certs.BrokerTLS(true))
	for _, tc := range []struct {
		name string
		tls  TLSConfig
		want string
	}{
		{"no client certificate", TLSConfig{CAFile: certs.CAFile}, "connect to ssl://"},
		{"broker signed by an unknown CA", TLSConfig{CAFile: other.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}, "certificate signed by unknown authority"},
		{"wrong server name", TLSConfig{CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey, ServerName: "broker.example"}, "broker.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(b.TLSURL(), t.TempDir())
			cfg.TLS = tc.tls
			c, _, _ := runClient(t, cfg, nil)
			err := waitErr(t, c)
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if c.Connected() {
				t.Fatal("connected despite the TLS problem")
			}
		})
	}
}

func TestRefusedCredentialsKeepSpooling(t *testing.T) {
	const secret = "wrong-s3cret-pw"
	b := testbroker.Start(t, testbroker.WithPasswords(map[string]string{"box-1": "right-pw"}))
	cfg := testConfig(b.URL(), t.TempDir())
	cfg.Username, cfg.Password = "box-1", secret
	c, logs, _ := runClient(t, cfg, nil)
	err := waitErr(t, c)
	for _, want := range []string{`refused the login of user "box-1"`, "check mqtt username and password"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	for i := 0; i < 5; i++ {
		if err := c.Publish(context.Background(), motion("cam1", i)); err != nil {
			t.Fatalf("Publish while the broker refuses us: %v", err)
		}
	}
	if n, _, _ := c.SpoolStats(); n != 5 {
		t.Fatalf("%d messages spooled, want 5", n)
	}
	time.Sleep(500 * time.Millisecond) // a few more refused attempts
	if c.Connected() {
		t.Fatal("connected with a wrong password")
	}
	if strings.Contains(logs.String()+err.Error(), secret) {
		t.Fatalf("the password leaked into the log or error:\n%s", logs)
	}
	if n := strings.Count(logs.String(), "cannot connect"); n != 1 {
		t.Fatalf("%d connect-failure lines for the same error, want 1 (summarised):\n%s", n, logs)
	}
}

func TestDuplicateClientIDIsNamedNotFlappedInTheLog(t *testing.T) {
	b := testbroker.Start(t)
	cfg := testConfig(b.URL(), t.TempDir())
	_, logs1, _ := runClient(t, cfg, nil)
	cfg.Spool.Dir = t.TempDir()
	_, logs2, _ := runClient(t, cfg, nil) // same site and agent: same client id
	const hint = "is another client using the same client id?"
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs1.String()+logs2.String(), hint) {
		if time.Now().After(deadline) {
			t.Fatalf("no hint at a duplicate client id after 15 s:\n%s\n%s", logs1, logs2)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // several more kicks
	for _, l := range []string{logs1.String(), logs2.String()} {
		for _, line := range []string{"mqtt: connection lost;", "mqtt: cannot connect;", "mqtt: connected"} {
			if n := strings.Count(l, line); n > 1 {
				t.Fatalf("%d %q lines; repeated drops should be summarised:\n%s", n, line, l)
			}
		}
		if n := strings.Count(l, hint); n > 1 {
			t.Fatalf("the hint repeated %d times within a minute:\n%s", n, l)
		}
	}
}
