package mqtt

import (
	"crypto/tls"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/testbroker"
)

// TestShippedCentralConf runs configs/mosquitto/central.conf.in as
// shipped, rendered as docs/fleet.md says, with only its listener bound to
// loopback on a free port and the two file paths replaced (each must be
// found), and central.acl with plant-3's block. It tries what the central
// broker must refuse, each with everything else right: no user name, a
// wrong password, no client certificate, plain MQTT, TLS 1.1 (Debian's
// OpenSSL refuses it whatever tls_version says, so that case checks the
// outcome, not the line); and that a site with its certificate and
// password gets its events to the command centre.
func TestShippedCentralConf(t *testing.T) {
	certs := testbroker.NewCerts(t)
	conf := render(t, "central.conf.in", map[string]string{
		"PANTAU_CENTRAL_CAFILE":   certs.CAFile,
		"PANTAU_CENTRAL_CERTFILE": certs.ServerCert,
		"PANTAU_CENTRAL_KEYFILE":  certs.ServerKey,
	})
	passwd := passwdFile(t, map[string]string{"plant-3": "p3", "command-centre": "cc"})
	acl := centralACL(t, "plant-3")
	b := testbroker.Start(t, testbroker.WithRawConfig(func(port int) string {
		out := conf
		for _, r := range [][2]string{
			{"listener 8883\n", "listener " + strconv.Itoa(port) + " 127.0.0.1\n"},
			{"password_file /etc/mosquitto/pantau.passwd", "password_file " + passwd},
			{"acl_file /etc/mosquitto/pantau.acl", "acl_file " + acl},
			{"require_certificate true", "require_certificate true"},
			{"allow_anonymous false", "allow_anonymous false"},
		} {
			if !strings.Contains(out, r[0]) {
				t.Errorf("configs/mosquitto/central.conf.in no longer has %q", r[0])
			}
			out = strings.Replace(out, r[0], r[1], 1)
		}
		return out
	}))
	port := strconv.Itoa(b.Port())
	connect := func(scheme, user, pass string, tc *tls.Config) (paho.Client, error) {
		o := paho.NewClientOptions().AddBroker(scheme + "://127.0.0.1:" + port).
			SetClientID(user + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)).SetUsername(user).SetPassword(pass).
			SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).SetTLSConfig(tc)
		c := paho.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			return nil, errors.New("connect timed out")
		}
		if tok.Error() != nil {
			return nil, tok.Error()
		}
		t.Cleanup(func() { c.Disconnect(0) })
		return c, nil
	}
	withCert := certs.ClientTLS(t)
	noCert := withCert.Clone()
	noCert.Certificates = nil
	tls11 := withCert.Clone()
	tls11.MinVersion, tls11.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	for _, tc := range []struct {
		what, scheme, user, pass string
		tls                      *tls.Config
	}{
		{"a client without user name", "ssl", "", "", withCert},
		{"a wrong password", "ssl", "plant-3", "wrong", withCert},
		{"a client without certificate", "ssl", "plant-3", "p3", noCert},
		{"plain MQTT", "tcp", "plant-3", "p3", nil},
		{"TLS 1.1", "ssl", "plant-3", "p3", tls11},
	} {
		if _, err := connect(tc.scheme, tc.user, tc.pass, tc.tls); err == nil {
			t.Errorf("the shipped central broker let in %s", tc.what)
		} else {
			t.Logf("%s refused: %v", tc.what, err)
		}
	}
	cc, err := connect("ssl", "command-centre", "cc", withCert)
	if err != nil {
		t.Fatalf("the command centre cannot connect with its certificate and password: %v", err)
	}
	events := gets(t, cc, "pantau/v1/#")
	site, err := connect("ssl", "plant-3", "p3", withCert)
	if err != nil {
		t.Fatalf("a site cannot connect with its certificate and password: %v", err)
	}
	site.Publish("pantau/v1/plant-3/box-1/cam1/event/motion", 1, false, "from plant-3").WaitTimeout(5 * time.Second)
	if !events("from plant-3") {
		t.Fatal("a site's event did not reach the command centre through the shipped central broker")
	}
}
