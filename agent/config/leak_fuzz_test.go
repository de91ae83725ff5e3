package config

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzNoPasswordInConfigErrors: a config holding a password (printable,
// no space or quote) in a camera URL (raw or escaped, valid or broken:
// bad port, bad escape, wrong scheme), an ONVIF URL, the MQTT URL, a
// password key, or by mistake under a key that is not a string, never
// shows it in what the agent says about the config: the errors (the
// reload command's result, `pantau check`, the web UI's 422) and the
// printed config (`pantau check --print`).
func FuzzNoPasswordInConfigErrors(f *testing.F) {
	for i, p := range []string{"p@ss@w0rd", "a:b/c#d?e", "100%sure", "p%40ss", "hunter22", "x]y}z", "Mv3ty@Hb8qr:Zk5nd/"} {
		for shape := range 11 {
			f.Add(p, uint8(shape+11*(i%2)))
		}
	}
	f.Fuzz(func(t *testing.T, pass string, shape uint8) {
		if len(pass) < 4 || strings.ContainsAny(pass, " \t\r\n\"'`\\") || !printable(pass) {
			return
		}
		doc := leakDoc(pass, shape)
		out := said(doc)
		forms := []string{pass, url.PathEscape(pass), url.QueryEscape(pass), url.UserPassword("", pass).String()[1:]}
		for _, form := range forms {
			// The password may be a word the output holds anyway
			// ("url", "10.0"): only a form that the same config with a
			// neutral password does not show is a leak.
			if len(form) >= 4 && strings.Contains(out, form) && !strings.Contains(said(leakDoc("PWPWPW", shape)), form) {
				t.Fatalf("password %q (as %q) in what the agent says about\n%s\n---\n%s", pass, form, doc, out)
			}
		}
	})
}

// leakDoc is the fuzzed config with pass in the places shape picks: one
// camera (shape % 11 < 10) or all ten; the MQTT URL valid or with a bad
// port (odd shape).
func leakDoc(pass string, shape uint8) string {
	const host = "10.0.0.7:554"
	raw := "rtsp://admin:" + pass + "@"
	esc := "rtsp://" + url.UserPassword("admin", pass).String() + "@"
	cams := []string{
		`{name: a, url: ` + strconv.Quote(raw+host+"/live") + `}`,
		`{name: b, url: ` + strconv.Quote(esc+host+"/live") + `}`,
		`{name: c, url: ` + strconv.Quote(raw+"10.0.0.7:5x4/live") + `}`,
		`{name: d, url: ` + strconv.Quote(esc+"[::1/live") + `}`,
		`{name: e, url: ` + strconv.Quote("http://admin:"+pass+"@10.0.0.7/live") + `}`,
		`{name: f, url: ` + strconv.Quote("rtsp://admin:"+pass+"%zz@"+host+"/live") + `}`,
		`{name: g, url: "rtsp://10.0.0.7/live", username: admin, password: ` + strconv.Quote(pass) + `}`,
		`{name: h, url: "rtsp://10.0.0.7/live", onvif: ` + strconv.Quote("http://admin:"+pass+"@10.0.0.7:8x/") + `}`,
		`{name: i, url: "rtsp://10.0.0.7/live", fps: ` + strconv.Quote(raw+host) + `}`,
		`{name: j, url: "rtsp://10.0.0.7/live", motion: ` + strconv.Quote(esc+host) + `}`,
	}
	pick := strings.Join(cams, "\n  - ")
	if n := int(shape) % (len(cams) + 1); n < len(cams) {
		pick = cams[n]
	}
	mqtt := strconv.Quote("tcp://user:" + pass + "@127.0.0.1:1883")
	if shape%2 == 1 {
		mqtt = strconv.Quote("tcp://user:" + pass + "@127.0.0.1:18x83")
	}
	return "site: s\nmqtt: {url: " + mqtt + "}\ncameras:\n  - " + pick + "\n"
}

// said is what the agent says about the config doc: its errors, or the
// config as `pantau check --print` prints it.
func said(doc string) string {
	c, err := Parse([]byte(doc))
	if err != nil {
		return err.Error()
	}
	y, err := c.YAML()
	if err != nil {
		return err.Error()
	}
	return string(y)
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}
