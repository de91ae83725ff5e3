package urlcred

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// cases feed the tests and the fuzz seeds: URLs as technicians type them.
var cases = []struct {
	raw, redacted, stripped, user, pass string
}{
	{"rtsp://admin:secret@10.0.0.7/live", "rtsp://xxxxx@10.0.0.7/live", "rtsp://10.0.0.7/live", "admin", "secret"},
	{"rtsp://admin:p@ss@cam/1", "rtsp://xxxxx@cam/1", "rtsp://cam/1", "admin", "p@ss"},
	{"rtsp://admin:p:a/s#s?w@cam:554/Streaming/Channels/101", "rtsp://xxxxx@cam:554/Streaming/Channels/101", "rtsp://cam:554/Streaming/Channels/101", "admin", "p:a/s#s?w"},
	{"rtsp://admin:p%40ss%2F1@cam/1", "rtsp://xxxxx@cam/1", "rtsp://cam/1", "admin", "p@ss/1"},
	{"rtsp://admin:100%sure@cam/1", "rtsp://xxxxx@cam/1", "rtsp://cam/1", "admin", "100%sure"},
	{"rtsp://onlyuser@cam/1", "rtsp://xxxxx@cam/1", "rtsp://cam/1", "onlyuser", ""},
	{"rtsp://cam/1?user=admin&password=hunter22&channel=1", "rtsp://cam/1?user=xxxxx&password=xxxxx&channel=1", "rtsp://cam/1?user=admin&password=hunter22&channel=1", "", ""},
	{"http://u:pw@192.168.1.20/onvif/device_service", "http://xxxxx@192.168.1.20/onvif/device_service", "http://192.168.1.20/onvif/device_service", "u", "pw"},
	{"tcp://broker:1883", "tcp://broker:1883", "tcp://broker:1883", "", ""},
}

func TestRedactStripSplit(t *testing.T) {
	for _, c := range cases {
		if got := Redact(c.raw); got != c.redacted {
			t.Errorf("Redact(%q) = %q, want %q", c.raw, got, c.redacted)
		}
		u, user, pass, err := Split(c.raw)
		if err != nil {
			t.Errorf("Split(%q): %v", c.raw, err)
			continue
		}
		if u.String() != c.stripped || user != c.user || pass != c.pass {
			t.Errorf("Split(%q) = %q %q %q, want %q %q %q", c.raw, u, user, pass, c.stripped, c.user, c.pass)
		}
		if got := Strip(c.raw); got != c.stripped {
			t.Errorf("Strip(%q) = %q, want %q", c.raw, got, c.stripped)
		}
	}
}

func TestParseErrorsHoldNoInput(t *testing.T) {
	for _, raw := range []string{"rtsp://cam:9x9secret/1", "rtsp://ca m/secret", "rtsp://cam/%zzsecret", "::secret", "rtsp://cam\x01secret/1"} {
		_, err := Parse(raw)
		if err == nil || !errors.Is(err, ErrParse) {
			t.Fatalf("Parse(%q) = %v, want ErrParse", raw, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("Parse(%q) error echoes the input: %v", raw, err)
		}
	}
}

func TestRedactText(t *testing.T) {
	in := `dial "rtsp://admin:p@ss word@cam/1": refused; retry url=rtsp://a:b@c/d password=hunter2 next`
	got := RedactText(in)
	for _, secret := range []string{"p@ss", "hunter2", "a:b"} {
		if strings.Contains(got, secret) {
			t.Fatalf("RedactText left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "rtsp://xxxxx@c/d") || !strings.Contains(got, "password=xxxxx") {
		t.Fatalf("RedactText(%q) = %q", in, got)
	}
}

func TestWith(t *testing.T) {
	if got := With("rtsp://cam/1", "admin", "p@ss:/"); got != "rtsp://admin:p%40ss%3A%2F@cam/1" {
		t.Fatalf("With = %q", got)
	}
	if _, _, pass, _ := Split(With("rtsp://cam/1", "admin", "p@ss:/")); pass != "p@ss:/" {
		t.Fatalf("With then Split: %q", pass)
	}
}

func TestScrub(t *testing.T) {
	for _, tc := range []struct{ raw, in, want string }{
		{"rtsp://admin:p@ss:w/d@cam/1", "401 for admin:p@ss:w/d, password p@ss:w/d (p%40ss%3Aw%2Fd)", "401 for xxxxx, password xxxxx (xxxxx)"},
		{"rtsp://admin:p%40ss@cam/1", "sent p@ss and p%40ss", "sent xxxxx and xxxxx"},
		{"rtsp://cam/1", "nothing secret: admin", "nothing secret: admin"},
		{"rtsp://admin:ab@cam/1", "a short password ab stays (it would mask every ab)", "a short password ab stays (it would mask every ab)"},
	} {
		if got := Scrub(tc.in, tc.raw); got != tc.want {
			t.Errorf("Scrub(%q, %q) = %q, want %q", tc.in, tc.raw, got, tc.want)
		}
	}
}

// FuzzNoPasswordInOutput: for any password (printable, no space or quote)
// typed raw or escaped into a URL's user info or a credential parameter,
// no output of the package holds it.
func FuzzNoPasswordInOutput(f *testing.F) {
	for _, c := range cases {
		if len(c.pass) >= 4 {
			f.Add(c.pass, "cam.example", "/live/1")
		}
	}
	f.Add("p@ss@w:rd/#?%41", "10.0.0.7:554", "/Streaming/Channels/101")
	f.Fuzz(func(t *testing.T, pass, host, path string) {
		if len(pass) < 4 || strings.ContainsAny(pass, " \t\r\n\"'<>`\x00") || !isPrintable(pass) {
			return // free text cannot tell where such a password ends
		}
		if strings.ContainsAny(host, "@/?#%: \t\r\n\"'<>`") || strings.ContainsAny(path, "@?#= \t\r\n\"'<>`") ||
			strings.Contains(host+path+"rtsp://admin", pass) || strings.Contains(Mask, pass) {
			return
		}
		forms := func(pass string) []string {
			return []string{
				"rtsp://admin:" + pass + "@" + host + path,
				"rtsp://" + url.UserPassword("admin", pass).String() + "@" + host + path,
				"rtsp://" + host + path + "?user=admin&password=" + pass,
				"rtsp://" + host + path + "?password=" + url.QueryEscape(pass),
			}
		}
		outputs := func(raw string) []string {
			outs := []string{Redact(raw), RedactText("connect " + raw + " failed: x"), RedactText(`{"url":"` + raw + `"}`)}
			if !strings.Contains(raw, "?") {
				outs = append(outs, Strip(raw))
			}
			if _, err := Parse(raw); err != nil {
				outs = append(outs, err.Error())
			}
			if _, _, _, err := Split(raw); err != nil {
				outs = append(outs, err.Error())
			}
			return outs
		}
		esc := url.QueryEscape(pass)
		leaks := func(out string) bool {
			return strings.Contains(out, pass) || (len(esc) >= 4 && strings.Contains(out, esc))
		}
		neutral := forms("PWPWPWPW")
		for i, raw := range forms(pass) {
			if i == 2 && strings.ContainsAny(pass, "&;") {
				continue // unescaped in a query, '&' ends the value by definition
			}
			// What the URL shows without any password (host, path,
			// the mask) may hold the fuzzed text by chance.
			for _, out := range outputs(neutral[i]) {
				if leaks(out) {
					return
				}
			}
			for _, out := range outputs(raw) {
				if leaks(out) {
					t.Fatalf("password %q in output %q of %q", pass, out, raw)
				}
			}
		}
		// A library's error that quoted the password outside any URL.
		for _, raw := range forms(pass)[:2] {
			quoted := "auth refused for " + pass + " (" + url.PathEscape(pass) + ", " + esc + ")"
			if out := Scrub(quoted, raw); leaks(out) {
				t.Fatalf("password %q in Scrub output %q of %q", pass, out, raw)
			}
		}
	})
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}
