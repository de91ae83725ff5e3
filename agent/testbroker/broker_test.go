package testbroker

import (
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func publish(t *testing.T, url, topic, payload string, retained bool, opts ...SubOption) error {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID("testpub").SetConnectTimeout(2 * time.Second)
	for _, opt := range opts {
		opt(o)
	}
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		return tok.Error()
	}
	defer c.Disconnect(100)
	tok := c.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatal("no PUBACK")
	}
	return tok.Error()
}

func TestRetainedSurvivesRestartWithPersistence(t *testing.T) {
	b := Start(t, WithPersistence())
	if err := publish(t, b.URL(), "a/b", "hello", true); err != nil {
		t.Fatal(err)
	}
	port := b.Port()
	b.Stop()
	if b.Running() {
		t.Fatal("running after Stop")
	}
	b.Start()
	if b.Port() != port {
		t.Fatalf("port changed %d → %d", port, b.Port())
	}
	s := Subscribe(t, b.URL(), "a/#")
	m := s.WaitTopic(t, 5*time.Second, "a/b", "hello")
	if !m.Retained {
		t.Fatalf("message not retained: %+v", m)
	}
}

func TestPersistentSubscriberGetsMessagesQueuedWhileAway(t *testing.T) {
	b := Start(t, WithPersistence())
	s := Subscribe(t, b.URL(), "q/#", Persistent("sub-q"))
	b.Stop()
	b.Start()
	// Published before the subscriber is back: the saved session queues it.
	if err := publish(t, b.URL(), "q/1", "one", false); err != nil {
		t.Fatal(err)
	}
	s.WaitTopic(t, 5*time.Second, "q/1", "one")
}

func TestPasswords(t *testing.T) {
	b := Start(t, WithPasswords(map[string]string{"agent": "s3cret"}))
	if err := publish(t, b.URL(), "x", "y", false); err == nil {
		t.Fatal("anonymous publish accepted")
	}
	if err := publish(t, b.URL(), "x", "y", false, WithSubAuth("agent", "wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := publish(t, b.URL(), "x", "y", false, WithSubAuth("agent", "s3cret")); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
}

func TestBridge(t *testing.T) {
	central := Start(t)
	site := Start(t, WithBridge(Bridge{Address: central.Addr(), Topics: []string{"pantau/v1/# out 1"}}))
	s := Subscribe(t, central.URL(), "pantau/v1/#")
	// The bridge connects asynchronously; publish until one arrives.
	deadline := time.Now().Add(10 * time.Second)
	for len(s.Messages()) == 0 && time.Now().Before(deadline) {
		if err := publish(t, site.URL(), "pantau/v1/s/a/status", "up", false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.WaitTopic(t, time.Second, "pantau/v1/s/a/status", "up")
}

func TestTLSWithClientCertificates(t *testing.T) {
	c := NewCerts(t)
	b := Start(t, c.BrokerTLS(true))
	s := Subscribe(t, b.TLSURL(), "tls/#", WithSubTLS(c.ClientTLS(t)))
	if err := publish(t, b.URL(), "tls/x", "via plain", false); err != nil {
		t.Fatal(err)
	}
	s.WaitTopic(t, 5*time.Second, "tls/x", "via plain")
	noCert := c.ClientTLS(t)
	noCert.Certificates = nil
	if err := publish(t, b.TLSURL(), "tls/y", "no cert", false, WithSubTLS(noCert)); err == nil {
		t.Fatal("broker accepted a TLS client without a certificate")
	}
}
