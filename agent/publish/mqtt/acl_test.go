package mqtt

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/pantau/pantau/agent/testbroker"
)

// passwdFile makes a mosquitto password file for users (user → password).
func passwdFile(t *testing.T, users map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "passwd")
	if err := testbroker.WritePasswordFile(p, users); err != nil {
		t.Fatal(err)
	}
	return p
}

// runShippedSiteConf runs configs/mosquitto/site.conf as shipped, with
// only the listener port and the two file paths replaced (each must be
// found, so a change of the shipped file shows here), and site.acl as it
// is. It returns the broker's URL.
func runShippedSiteConf(t *testing.T, users map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(mosquittoConfigs, "site.conf"))
	if err != nil {
		t.Fatal(err)
	}
	acl, _ := filepath.Abs(filepath.Join(mosquittoConfigs, "site.acl"))
	passwd := passwdFile(t, users)
	shipped := func(port int) string {
		conf := string(b)
		for _, r := range [][2]string{
			{"listener 1883 127.0.0.1", "listener " + strconv.Itoa(port) + " 127.0.0.1"},
			{"password_file /etc/mosquitto/pantau-site.passwd", "password_file " + passwd},
			{"acl_file /etc/mosquitto/pantau-site.acl", "acl_file " + acl},
			{"allow_anonymous false", "allow_anonymous false"},
		} {
			if !strings.Contains(conf, r[0]) {
				t.Errorf("configs/mosquitto/site.conf no longer has %q", r[0])
			}
			conf = strings.Replace(conf, r[0], r[1], 1)
		}
		return conf
	}
	return testbroker.Start(t, testbroker.WithRawConfig(shipped)).URL()
}

// centralACL is central.acl as shipped followed by one block per site
// rendered from central-site.acl.in, as docs/fleet.md installs them. It
// returns the file's path.
func centralACL(t *testing.T, sites ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(mosquittoConfigs, "central.acl"))
	if err != nil {
		t.Fatal(err)
	}
	acl := string(b)
	for _, s := range sites {
		acl += render(t, "central-site.acl.in", map[string]string{"PANTAU_SITE": s})
	}
	p := filepath.Join(t.TempDir(), "pantau.acl")
	if err := os.WriteFile(p, []byte(acl), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mqttUser connects as user; err is the CONNECT's result.
func mqttUser(t *testing.T, url, user, pass string) (paho.Client, error) {
	t.Helper()
	return mqttClient(t, url, user, pass, user+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
}

// mqttClient connects as user with this client id.
func mqttClient(t *testing.T, url, user, pass, clientID string) (paho.Client, error) {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(clientID).
		SetUsername(user).SetPassword(pass).SetAutoReconnect(false).SetConnectRetry(false)
	c := paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatal("connect timed out")
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, nil
}

// gets subscribes c to filter and returns a function telling whether a
// message with payload arrived within a second.
func gets(t *testing.T, c paho.Client, filter string) func(payload string) bool {
	t.Helper()
	got := make(chan string, 16)
	tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) })
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return func(payload string) bool {
		deadline := time.After(time.Second)
		for {
			select {
			case p := <-got:
				if p == payload {
					return true
				}
			case <-deadline:
				return false
			}
		}
	}
}

// pubAs publishes once over a fresh connection as user. paho drops a
// connection whose publish the broker refused (what it answers does not
// parse for paho), so each attempt gets its own; whether the message got
// through is for the subscribers to tell.
func pubAs(t *testing.T, url, user, pass, topic, payload string, retained bool) {
	t.Helper()
	c, err := mqttUser(t, url, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	c.Publish(topic, 1, retained, payload).WaitTimeout(2 * time.Second)
	c.Disconnect(100)
}

// TestShippedSiteBrokerACL runs the shipped site.conf and site.acl and
// tries what they must refuse: anonymous clients, a wrong password, an
// agent writing another agent's topics or reading its commands.
func TestShippedSiteBrokerACL(t *testing.T) {
	url := runShippedSiteConf(t, map[string]string{"box-1": "pw-1", "box-2": "pw-2"})
	if _, err := mqttUser(t, url, "", ""); err == nil {
		t.Fatal("an anonymous client got in")
	}
	if _, err := mqttUser(t, url, "box-1", "wrong"); err == nil {
		t.Fatal("a wrong password got in")
	}
	box1, err := mqttUser(t, url, "box-1", "pw-1")
	if err != nil {
		t.Fatal(err)
	}
	as1 := func(topic, payload string, retained bool) { pubAs(t, url, "box-1", "pw-1", topic, payload, retained) }
	as2 := func(topic, payload string, retained bool) { pubAs(t, url, "box-2", "pw-2", topic, payload, retained) }
	box2, err := mqttUser(t, url, "box-2", "pw-2")
	if err != nil {
		t.Fatal(err)
	}
	box2Cmd := gets(t, box2, "pantau/v1/s1/box-2/cmd/+")
	box2Status := gets(t, box2, "pantau/v1/s1/box-2/status")
	box1Status := gets(t, box1, "pantau/v1/s1/box-1/status")
	box1SeesBox2Cmd := gets(t, box1, "pantau/v1/s1/box-2/cmd/+")

	as1("pantau/v1/s1/box-1/status", "box-1 own status", true)
	if !box1Status("box-1 own status") {
		t.Fatal("an agent cannot write and read back its own status")
	}
	as1("pantau/v1/s1/box-2/status", "forged by box-1", true)
	if box2Status("forged by box-1") {
		t.Fatal("an agent wrote another agent's status")
	}
	as1("pantau/v1/s1/box-2/cmd/reload", "command from box-1", false)
	if box2Cmd("command from box-1") {
		t.Fatal("an agent commanded another agent")
	}
	as2("pantau/v1/s1/box-2/cmd/reload", "box-2's own command topic", false)
	if !box2Cmd("box-2's own command topic") {
		t.Fatal("an agent cannot read its own commands")
	}
	if box1SeesBox2Cmd("box-2's own command topic") {
		t.Fatal("an agent read another agent's commands")
	}
}

// TestShippedCentralACL runs central.acl as it is, with the blocks of
// plant-3 and plant-4 rendered from central-site.acl.in, and tries what
// it must refuse: a site writing under another site, a site publishing
// any command to its own agents (cmd/status, cmd/counts and
// cmd/occupancy too, which a camera topic pattern would match), a site
// reading another site's commands; and what it must allow: a site's
// events, camera statuses and command results, and the centre's commands
// (cmd/status included) reaching the site.
func TestShippedCentralACL(t *testing.T) {
	b := testbroker.Start(t, testbroker.WithPasswords(map[string]string{
		"plant-3": "p3", "plant-4": "p4", "plant-5": "p5", "command-centre": "cc"}),
		testbroker.WithConfig("acl_file "+centralACL(t, "plant-3", "plant-4")))
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(b.Log())
		}
	})
	login := func(user, pass string) paho.Client {
		c, err := mqttUser(t, b.URL(), user, pass)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p3, p4, p5, cc := login("plant-3", "p3"), login("plant-4", "p4"), login("plant-5", "p5"), login("command-centre", "cc")
	asP3 := func(topic, payload string) { pubAs(t, b.URL(), "plant-3", "p3", topic, payload, false) }
	asCC := func(topic, payload string) { pubAs(t, b.URL(), "command-centre", "cc", topic, payload, false) }
	ccAll := gets(t, cc, "pantau/v1/#")
	p3Cmds := gets(t, p3, "pantau/v1/plant-3/+/cmd/+")
	p4SeesP3Cmds := gets(t, p4, "pantau/v1/plant-3/+/cmd/+")
	p5Cmds := gets(t, p5, "pantau/v1/plant-5/+/cmd/+")

	for _, topic := range []string{
		"pantau/v1/plant-3/box-1/status",
		"pantau/v1/plant-3/box-1/cam1/status",
		"pantau/v1/plant-3/box-1/cam1/counts",
		"pantau/v1/plant-3/box-1/cam1/event/motion",
		"pantau/v1/plant-3/box-1/cmd/reload/result",
	} {
		asP3(topic, "plant-3 on "+topic)
		if !ccAll("plant-3 on " + topic) {
			t.Fatalf("a site cannot publish its own %s", topic)
		}
	}
	asP3("pantau/v1/plant-4/box-1/cam1/event/motion", "forged by plant-3")
	if ccAll("forged by plant-3") {
		t.Fatal("a site published under another site")
	}
	for _, cmd := range []string{"reload", "status", "counts", "occupancy"} {
		payload := "command " + cmd + " from a site"
		asP3("pantau/v1/plant-3/box-1/cmd/"+cmd, payload)
		if ccAll(payload) || p3Cmds(payload) {
			t.Fatalf("a site published the command %s to its own agent", cmd)
		}
	}
	for _, cmd := range []string{"reload", "status"} {
		payload := "command " + cmd + " from the centre"
		asCC("pantau/v1/plant-3/box-1/cmd/"+cmd, payload)
		if !p3Cmds(payload) {
			t.Fatalf("a site cannot read its agents' command %s", cmd)
		}
		if p4SeesP3Cmds(payload) {
			t.Fatalf("a site read another site's command %s", cmd)
		}
	}
	asCC("pantau/v1/plant-5/box-1/cmd/status", "command for a site without its block")
	if p5Cmds("command for a site without its block") {
		t.Fatal("a site without its central-site.acl block read commands")
	}

	// The bridge's link state (bridge.conf.in's notifications): a site
	// writes only its own bridge's, whatever client id it connects with.
	ccLinks := gets(t, cc, "$SYS/broker/connection/#")
	linkAs := func(clientID, bridge, payload string) {
		c, err := mqttClient(t, b.URL(), "plant-3", "p3", clientID)
		if err != nil {
			t.Fatal(err)
		}
		c.Publish("$SYS/broker/connection/"+bridge+"/state", 1, false, payload).WaitTimeout(2 * time.Second)
		c.Disconnect(100)
	}
	linkAs("pantau-bridge-plant-3", "pantau-bridge-plant-3", "1 from plant-3's bridge")
	if !ccLinks("1 from plant-3's bridge") {
		t.Fatal("a site's bridge cannot publish its link state")
	}
	linkAs("pantau-bridge-plant-4", "pantau-bridge-plant-4", "0 forged by plant-3")
	if ccLinks("0 forged by plant-3") {
		t.Fatal("a site published another site's bridge link state (by taking its client id)")
	}
}

// TestWrongUserKeepsSpooling: an agent logging in to the shipped site
// broker with another agent's user has its publishes refused by site.acl
// and still acknowledged (MQTT 3.1.1). It must notice (its retained
// status does not come back), say so, and keep its messages spooled; with
// its own user the same spool is delivered.
func TestWrongUserKeepsSpooling(t *testing.T) {
	url := runShippedSiteConf(t, map[string]string{"box-1": "pw-1", "box-2": "pw-2"})
	spool := t.TempDir()
	cfg := testConfig(url, spool)
	cfg.Username, cfg.Password = "box-2", "pw-2" // the agent is box-1
	cfg.ReadBackTimeout = time.Second
	c, logs, stop := runClient(t, cfg, nil)
	for i := 1; i <= 3; i++ {
		if err := c.Publish(context.Background(), motion("cam1", i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for c.LastError() == nil || !strings.Contains(c.LastError().Error(), "this agent's retained status") {
		if time.Now().After(deadline) {
			t.Fatalf("no read-back error after 15 s; last error %v\n%s", c.LastError(), logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if n, _, _ := c.SpoolStats(); n != 3 {
		t.Fatalf("%d messages spooled with a refused user, want all 3 kept\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("the refusal is not logged as an error:\n%s", logs)
	}
	stop()

	cfg.Username, cfg.Password = "box-1", "pw-1"
	c, logs, _ = runClient(t, cfg, nil)
	deadline = time.Now().Add(15 * time.Second)
	for {
		if n, _, _ := c.SpoolStats(); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			n, _, _ := c.SpoolStats()
			t.Fatalf("%d messages still spooled with the right user\n%s", n, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
