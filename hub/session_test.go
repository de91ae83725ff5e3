package hub_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/hub/internal/fixture"
	"github.com/pantau/pantau/hub/internal/mosq"
)

// writeCerts makes a CA and a server certificate for 127.0.0.1 in dir.
func writeCerts(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "central"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server.key", "EC PRIVATE KEY", keyDER)
}

// TestSessionSurvivesHubRestart: the hub logs in over TLS with a password;
// messages sent while it is down wait in its persistent session on the
// central broker and are stored once when it is back; a central broker
// restart mid-way loses nothing either.
func TestSessionSurvivesHubRestart(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeCerts(t, dir)
	passwd := filepath.Join(dir, "passwd")
	for _, u := range [][2]string{{"hub", "hub-secret"}, {"agent", "agent-secret"}} {
		args := []string{"-b", passwd, u[0], u[1]}
		if _, err := os.Stat(passwd); err != nil {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command("mosquitto_passwd", args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd (apt-get install mosquitto): %v %s", err, out)
		}
	}
	tlsPort, err := mosq.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	central, err := mosq.New(mosq.Options{Dir: dir, Extra: []string{
		"allow_anonymous false", "password_file " + passwd,
		fmt.Sprintf("listener %d 127.0.0.1", tlsPort), "cafile " + ca, "certfile " + cert, "keyfile " + key,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(central.Stop)
	pwFile := filepath.Join(dir, "hub-password")
	os.WriteFile(pwFile, []byte("hub-secret\n"), 0o600)
	f := &fleet{central: central}
	hubYAML := fmt.Sprintf("mqtt:\n  url: ssl://127.0.0.1:%d\n  client_id: hub-tls\n  username: hub\n  password_file: %s\n  tls:\n    ca_file: %s\nstore:\n  url: sqlite:%s\n",
		tlsPort, pwFile, ca, filepath.Join(dir, "hub.db"))
	f.startHub(t, hubYAML)
	agent := paho.NewClient(paho.NewClientOptions().AddBroker(central.URL()).SetClientID("agent").
		SetUsername("agent").SetPassword("agent-secret").SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond))
	if tok := agent.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("agent connect: %v", tok.Error())
	}
	defer agent.Disconnect(100)
	f.pub = agent
	now := time.Now().UTC()
	send := func(from, to int) {
		for seq := from; seq <= to; seq++ {
			f.wire(t, fixture.Counts("tls", "a1", "c1", now.Add(time.Duration(seq-40)*10*time.Second), 10*time.Second, 1, 0, 0), event.NewID(), uint64(seq))
		}
	}
	var cams []camView
	received := func(n int64) func() bool {
		return func() bool {
			f.get(t, "/api/v1/cameras", &cams)
			c := cameraByName(cams, "tls", "c1")
			return c != nil && c.Received == n
		}
	}
	// Wait until the hub's session (and its subscription) exists.
	waitFor(t, 10*time.Second, "the hub to connect", func() bool {
		return strings.Contains(string(f.get(t, "/metrics", nil)), "pantau_hub_connected 1\n")
	})
	time.Sleep(300 * time.Millisecond) // the SUBACK follows the CONNACK
	send(1, 5)
	waitFor(t, 10*time.Second, "5 messages", received(5))
	f.stop()
	send(6, 10) // queued in the hub's session
	central.Stop()
	if err := central.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the agent to reconnect", agent.IsConnected)
	send(11, 15)
	f.startHub(t, hubYAML)
	waitFor(t, 20*time.Second, "15 messages after the restarts", received(15))
	c := cameraByName(cams, "tls", "c1")
	if c.Duplicates != 0 || len(c.Missing) != 0 {
		t.Errorf("camera %+v: want 15 received, no duplicate, nothing missing", c)
	}
}
