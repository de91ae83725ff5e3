package onvif_test

import (
	"errors"
	. "github.com/pantau/pantau/devices/onvif"
	"os"
	"path/filepath"
	"testing"
)

func TestParseCaptures(t *testing.T) {
	for _, c := range deviceCases {
		t.Run(c.dir, func(t *testing.T) {
			info, err := ParseDeviceInformation(readCapture(t, c.dir, "device_management", "GetDeviceInformation"))
			if err != nil {
				t.Fatal(err)
			}
			if info.Manufacturer != c.manufacturer || info.Model != c.model || info.Firmware != c.fw || info.Serial != c.serial {
				t.Errorf("device info = %+v, want %s/%s/%s/%s", info, c.manufacturer, c.model, c.fw, c.serial)
			}
			utc, err := ParseSystemDateAndTime(readCapture(t, c.dir, "device_management", "GetSystemDateAndTime"))
			if err != nil || !utc.Equal(c.utc) {
				t.Errorf("UTC = %v, %v; want %v", utc, err, c.utc)
			}
			svcs, err := ParseServices(readCapture(t, c.dir, "device_management", "GetServices"))
			if err != nil {
				t.Fatal(err)
			}
			var m1, m2 string
			for _, s := range svcs {
				switch s.Namespace {
				case NSMedia:
					m1 = s.XAddr
				case NSMedia2:
					m2 = s.XAddr
				}
			}
			if m1 == "" || m2 == "" {
				t.Errorf("GetServices: media %q media2 %q, want both", m1, m2)
			}
			caps, err := ParseCapabilities(readCapture(t, c.dir, "device_management", "GetCapabilities"))
			if err != nil || caps.Media != m1 {
				t.Errorf("GetCapabilities media = %q, %v; want %q", caps.Media, err, m1)
			}

			p1, err := ParseProfiles(readCapture(t, c.dir, "media1", "GetProfiles"))
			if err != nil {
				t.Fatal(err)
			}
			checkProfiles(t, "media1", p1, c.media1, false)
			p2, err := ParseProfiles2(readCapture(t, c.dir, "media2", "GetProfiles"))
			if err != nil {
				t.Fatal(err)
			}
			if len(p2) != len(c.media2Tokens) {
				t.Fatalf("media2 profiles = %d, want %d", len(p2), len(c.media2Tokens))
			}
			for i, p := range p2 {
				if p.Token != c.media2Tokens[i] {
					t.Errorf("media2 profile %d token %q, want %q", i, p.Token, c.media2Tokens[i])
				}
			}
			if hasCapture(c.dir, "media2", "GetVideoEncoderConfigurations") {
				encs, err := ParseVideoEncoderConfigurations2(readCapture(t, c.dir, "media2", "GetVideoEncoderConfigurations"))
				if err != nil {
					t.Fatal(err)
				}
				var got []MediaProfile
				for i := range encs {
					got = append(got, MediaProfile{Token: encs[i].Token, Encoder: &encs[i]})
				}
				checkProfiles(t, "media2 encoders", got, c.media2Encoders, true)
			} else if len(c.media2Encoders) > 0 {
				t.Error("media2Encoders given but no capture")
			}
			for _, s := range []struct{ svc, want string }{{"media1", c.stream1}, {"media2", c.stream2}} {
				if s.want == "" {
					if hasCapture(c.dir, s.svc, "GetStreamUri") {
						t.Errorf("%s GetStreamUri captured but not expected in the case", s.svc)
					}
					continue
				}
				u, err := ParseStreamURI(readCapture(t, c.dir, s.svc, "GetStreamUri"))
				if err != nil || u != s.want {
					t.Errorf("%s stream URI = %q, %v; want %q", s.svc, u, err, s.want)
				}
			}
			for _, svc := range []string{"media1", "media2"} {
				u, err := ParseSnapshotURI(readCapture(t, c.dir, svc, "GetSnapshotUri"))
				if err != nil || u != c.snapshot {
					t.Errorf("%s snapshot URI = %q, %v; want %q", svc, u, err, c.snapshot)
				}
			}
		})
	}
}

func checkProfiles(t *testing.T, what string, got []MediaProfile, want []wantProfile, encToken bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d profiles, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		tok := g.Token
		if g.Encoder == nil {
			t.Errorf("%s %s: no encoder", what, tok)
			continue
		}
		if encToken {
			tok = g.Encoder.Token
		}
		e := g.Encoder
		if tok != w.token || e.Encoding != w.encoding || e.Width != w.width || e.Height != w.height || e.FPS != w.fps {
			t.Errorf("%s %d = %s %s %dx%d@%g, want %s %s %dx%d@%g", what, i, tok, e.Encoding, e.Width, e.Height, e.FPS,
				w.token, w.encoding, w.width, w.height, w.fps)
		}
	}
}

func TestParseFaultCaptures(t *testing.T) {
	for _, dir := range []string{"SUNBA", "IPG-8150PSS"} {
		b, err := os.ReadFile(filepath.Join(captures, dir, "device_management", "Fault.xml"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseDeviceInformation(b)
		var f *SOAPFault
		if !errors.As(err, &f) {
			t.Fatalf("%s: err = %v, want *SOAPFault", dir, err)
		}
		if f.Code == "" || len(f.Subcodes) == 0 || f.Reason == "" {
			t.Errorf("%s: fault %+v lacks code, subcode or reason", dir, f)
		}
		if errors.Is(err, ErrAuth) {
			t.Errorf("%s: %v reported as ErrAuth", dir, err)
		}
	}
}

// badInputs are malformed or hostile responses; each must give an error.
var badInputs = []struct {
	name string
	data string
	is   error
}{
	{"empty", "", ErrNotSOAP},
	{"html", "<!DOCTYPE html><html><body>Login</body></html>", ErrNotSOAP},
	{"html lower", "<html><head><title>web</title></head></html>", ErrNotSOAP},
	{"plain text", "HTTP/1.0 200 OK\r\n", ErrNotSOAP},
	{"truncated", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><tds:GetDeviceInformationResponse xmlns:tds="x"><tds:Model>M`, nil},
	{"wrong element", `<s:Envelope xmlns:s="x"><s:Body><Other/></s:Body></s:Envelope>`, nil},
	{"empty body", `<s:Envelope xmlns:s="x"><s:Body></s:Body></s:Envelope>`, ErrNotSOAP},
	{"bad charset", `<?xml version="1.0" encoding="EBCDIC"?><s:Envelope/>`, ErrNotSOAP},
	{"auth fault", `<s:Envelope xmlns:s="x" xmlns:ter="y"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode></s:Code><s:Reason><s:Text>Sender not Authorized</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`, ErrAuth},
}

func TestParseBadInput(t *testing.T) {
	for _, b := range badInputs {
		_, err := ParseDeviceInformation([]byte(b.data))
		if err == nil {
			t.Errorf("%s: no error", b.name)
			continue
		}
		if b.is != nil && !errors.Is(err, b.is) {
			t.Errorf("%s: err = %v, want errors.Is %v", b.name, err, b.is)
		}
	}
}

func TestParseInvalidDate(t *testing.T) {
	b := `<s:Envelope xmlns:s="x"><s:Body><GetSystemDateAndTimeResponse><SystemDateAndTime><UTCDateTime><Time><Hour>25</Hour><Minute>0</Minute><Second>0</Second></Time><Date><Year>2024</Year><Month>13</Month><Day>1</Day></Date></UTCDateTime></SystemDateAndTime></GetSystemDateAndTimeResponse></s:Body></s:Envelope>`
	if _, err := ParseSystemDateAndTime([]byte(b)); err == nil {
		t.Error("invalid date accepted")
	}
}
