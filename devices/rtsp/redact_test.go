package rtsp

import (
	"strings"
	"testing"
)

// redactCases feed TestRedact and the FuzzRedact seeds.
var redactCases = []struct {
	name, in, want string
	secrets        []string // must not survive
}{
	{"no credentials", "rtsp://10.0.0.5:554/stream1", "rtsp://10.0.0.5:554/stream1", nil},
	{"user and password", "rtsp://admin:s3cret@10.0.0.5:554/Streaming/Channels/101",
		"rtsp://xxxxx:xxxxx@10.0.0.5:554/Streaming/Channels/101", []string{"admin", "s3cret"}},
	{"user only", "rtsp://viewer@cam.local/live", "rtsp://xxxxx@cam.local/live", []string{"viewer"}},
	{"empty password", "rtsp://admin:@cam/live", "rtsp://xxxxx:xxxxx@cam/live", []string{"admin"}},
	{"escaped password", "rtsp://admin:p%40ss%2Fw@cam:8554/cam", "rtsp://xxxxx:xxxxx@cam:8554/cam",
		[]string{"p%40ss", "ss%2Fw"}},
	{"unescaped at sign in password", "rtsp://admin:p@ss@cam/live", "rtsp://xxxxx:xxxxx@cam/live",
		[]string{"p@ss", "admin"}},
	{"unescaped slash in password", "rtsp://admin:pa/ss@cam/live", "rtsp://xxxxx:xxxxx@cam/live",
		[]string{"pa/ss"}},
	{"rtsps", "rtsps://u:Secr3t!@[fe80::1]:322/s", "rtsps://xxxxx:xxxxx@[fe80::1]:322/s", []string{"Secr3t!"}},
	{"query credentials", "rtsp://cam/cam/realmonitor?channel=1&user=admin&password=hunter22&subtype=0",
		"rtsp://cam/cam/realmonitor?channel=1&user=xxxxx&password=xxxxx&subtype=0", []string{"hunter22", "admin"}},
	{"query pwd upper case", "rtsp://cam/live?PWD=hunter22#frag", "rtsp://cam/live?PWD=xxxxx#frag", []string{"hunter22"}},
	{"no scheme", "admin:hunter22@10.0.0.5/live", "xxxxx:xxxxx@10.0.0.5/live", []string{"hunter22"}},
	{"http onvif", "http://admin:hunter22@10.0.0.5/onvif/device_service",
		"http://xxxxx:xxxxx@10.0.0.5/onvif/device_service", []string{"hunter22"}},
	{"empty", "", "", nil},
	{"not a URL", "just text", "just text", nil},
}

func TestRedact(t *testing.T) {
	for _, tc := range redactCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Errorf("Redact(%q) = %q still contains %q", tc.in, got, s)
				}
			}
		})
	}
}

func FuzzRedact(f *testing.F) {
	for _, tc := range redactCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Redact(in)
		if Redact(out) != out {
			t.Errorf("Redact is not idempotent on %q: %q then %q", in, out, Redact(out))
		}
		// Whatever stood before the last '@' of the authority is replaced.
		if i := strings.Index(in, "://"); i >= 0 {
			rest := in[i+3:]
			if j := strings.IndexAny(rest, "?#"); j >= 0 {
				rest = rest[:j]
			}
			if strings.Contains(rest, "@") {
				outRest := out[i+3:]
				if !strings.HasPrefix(outRest, redacted+"@") && !strings.HasPrefix(outRest, redacted+":"+redacted+"@") {
					t.Errorf("Redact(%q) = %q keeps the user info", in, out)
				}
			}
		}
	})
}
