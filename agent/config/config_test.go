package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const minimal = `site: test-site
agent: box-1
mqtt:
  url: tcp://127.0.0.1:1883
http:
  listen: 127.0.0.1:9090
counts:
  interval: 10s
cameras:
  - name: cam1
    url: rtsp://127.0.0.1:8554/cam
`

// TestShippedConfigs loads every config in configs/ as Load does in the
// field, so a shipped example can never drift from the schema.
func TestShippedConfigs(t *testing.T) {
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d configs in ../../configs, want at least pantau.yaml and full.yaml", len(files))
	}
	for _, f := range files {
		if filepath.Base(f) == "hub.yaml" {
			continue // the hub's config: hub/config's TestShippedConfig loads it
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatalf("%s:\n%v", f, err)
			}
			if len(c.Cameras) == 0 {
				t.Errorf("%s has no cameras", f)
			}
		})
	}
}

func TestMinimalConfig(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Site != "test-site" || c.Agent != "box-1" || c.MQTT.URL != "tcp://127.0.0.1:1883" ||
		c.HTTP.Listen != "127.0.0.1:9090" || c.Counts.Interval != 10*time.Second {
		t.Errorf("top-level keys not read: %+v", c)
	}
	if len(c.Cameras) != 1 {
		t.Fatalf("cameras = %d, want 1", len(c.Cameras))
	}
	cam := c.Cameras[0]
	if cam.Name != "cam1" || cam.URL != "rtsp://127.0.0.1:8554/cam" {
		t.Errorf("camera = %+v", cam)
	}
	// Defaults filled in.
	if cam.Transport != "tcp" || cam.Decode != DecodeAuto || cam.FPS != 5 || cam.AnalysisWidth != 640 ||
		!cam.IsEnabled() || !cam.Motion.IsEnabled() || cam.Detector.Type != DetectorDNN || cam.Detector.MaxRate != 5 || c.Detector.Workers != 1 {
		t.Errorf("camera defaults not applied: %+v", cam)
	}
	if c.MQTT.ClientID != "pantau-test-site-box-1" || c.Spool.Policy != PolicyDropOldestCounts ||
		c.Spool.MaxBytes != 256<<20 || c.Discovery.Timeout != 3*time.Second || c.Log.Format != "text" {
		t.Errorf("defaults not applied: mqtt=%+v spool=%+v", c.MQTT, c.Spool)
	}
}

// TestFiveMistakes checks that every problem is reported at once, each
// naming its key.
func TestFiveMistakes(t *testing.T) {
	in := `site: test-site
counts:
  interval: 10
mqtt:
  url: http://broker:1883
cameras:
  - name: Cam One
    url: rtsp://127.0.0.1/a
    lines:
      - name: door
        points: [[0.5, 0.1]]
  - name: cam2
    url: rtsp://admin:hunter2@/b
    zones:
      - name: z
        points: [[0.1, 0.1], [1.5, 0.1], [0.5, 0.9]]
`
	_, err := Parse([]byte(in))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v (%T), want Errors", err, err)
	}
	want := []string{
		`counts.interval: want a duration such as "10s" or "5m", got "10"`,
		`mqtt.url: scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss, got "http"`,
		`cameras[0].name: must be 1–64 of a-z, 0-9, '_' and '-', got "Cam One"`,
		`cameras[0].lines[0].points: need at least 2 points, got 1`,
		`cameras[1].url: no host in rtsp://xxxxx@/b`,
		`cameras[1].zones[0].points[1]: coordinates are normalised to 0–1, got [1.5, 0.1]`,
	}
	got := strings.Split(err.Error(), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks a password: %v", err)
	}
}

func TestUnknownKeys(t *testing.T) {
	in := minimal + `    lines:
      - name: l
        points: [[0, 0], [1, 1]]
        colour: red
    Motion:
      enabled: false
mqttt: {}
`
	_, err := Parse([]byte(in))
	want := "cameras[0].lines[0].colour: unknown key\n" +
		"cameras[0].Motion: unknown key (did you mean \"motion\"?)\n" +
		"mqttt: unknown key"
	// The top level is decoded before cameras.
	want = "mqttt: unknown key\n" + strings.TrimSuffix(want, "\nmqttt: unknown key")
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

func TestEnvOverride(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pantau.yaml")
	if err := os.WriteFile(path, []byte(minimal+"mqtt:\n  url: tcp://127.0.0.1:1883\n  password_file: secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "mqtt: key given twice") {
		t.Fatalf("duplicate top-level key: err = %v", err)
	}

	if err := os.WriteFile(path, []byte(strings.Replace(minimal, "  url: tcp://127.0.0.1:1883\n",
		"  url: tcp://127.0.0.1:1883\n  password_file: secret\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.MQTT.Password != "s3cret" {
		t.Errorf("password from file = %q, want s3cret", c.MQTT.Password)
	}

	t.Setenv("PANTAU_MQTT_URL", "ssl://broker.example:8883")
	t.Setenv("PANTAU_MQTT_PASSWORD", "from-env")
	t.Setenv("PANTAU_SITE", "other-site")
	t.Setenv("PANTAU_HTTP_LISTEN", ":9100")
	t.Setenv("PANTAU_DISCOVERY_ENABLED", "true")
	_, err = Load(path)
	if err == nil || !strings.Contains(err.Error(), "http.auth.users_file: required because http.listen \":9100\" is not a loopback address") {
		t.Fatalf("listen off loopback without credentials: err = %v, want one naming http.auth.users_file", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokens"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PANTAU_HTTP_AUTH_TOKENS_FILE", "tokens")
	c, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Auth.TokensFile != filepath.Join(dir, "tokens") {
		t.Errorf("http.auth.tokens_file = %q, want it relative to the config file", c.HTTP.Auth.TokensFile)
	}
	if c.MQTT.URL != "ssl://broker.example:8883" || c.MQTT.Password != "from-env" || c.Site != "other-site" ||
		c.HTTP.Listen != ":9100" || !c.Discovery.Enabled || c.MQTT.ClientID != "pantau-other-site-box-1" {
		t.Errorf("env not applied: site=%q mqtt=%+v http=%+v", c.Site, c.MQTT, c.HTTP)
	}

	t.Setenv("PANTAU_DISCOVERY_ENABLED", "yes please")
	_, err = Load(path)
	if err == nil || err.Error() != `PANTAU_DISCOVERY_ENABLED: want true or false, got "yes please"` {
		t.Errorf("bad env bool: err = %v", err)
	}
}

func TestDefaultsSection(t *testing.T) {
	in := `site: s
defaults:
  fps: 2
  decode: keyframes
  motion: {enabled: false}
cameras:
  - name: a
    url: rtsp://h/a
  - name: b
    url: rtsp://h/b
    fps: 10
    motion: {enabled: true, min_area: 0.01}
    enabled: false
`
	c, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Cameras[0], c.Cameras[1]
	if a.FPS != 2 || a.Decode != DecodeKeyframes || a.Motion.IsEnabled() || !a.IsEnabled() {
		t.Errorf("camera a = fps %g decode %s motion %v enabled %v", a.FPS, a.Decode, a.Motion.IsEnabled(), a.IsEnabled())
	}
	if b.FPS != 10 || b.Decode != DecodeKeyframes || !b.Motion.IsEnabled() || b.Motion.MinArea != 0.01 || b.IsEnabled() {
		t.Errorf("camera b = fps %g decode %s motion %+v enabled %v", b.FPS, b.Decode, b.Motion, b.IsEnabled())
	}
}

func TestBadInputs(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"not yaml", "site: [", "yaml: line 1: did not find expected node content"},
		{"list at top", "- a", "(document): want a mapping of keys, got a list of 1\nsite: required (a name for this installation, e.g. \"depot-north\")"},
		{"no site", "cameras: []", "site: required (a name for this installation, e.g. \"depot-north\")"},
		{"string fps", minimal + "    fps: fast\n", `cameras[0].fps: want a number, got "fast"`},
		{"point with 3", minimal + "    lines: [{name: l, points: [[0, 0, 1], [1, 1]]}]\n", "cameras[0].lines[0].points[0]: want a point [x, y], got a list of 3"},
		{"dup camera", minimal + "  - name: cam1\n    url: rtsp://h/x\n", `cameras[1].name: "cam1" is already used by cameras[0]`},
		{"creds twice", strings.Replace(minimal, "rtsp://127", "rtsp://u:p@127", 1) + "    password: p\n", "cameras[0].url: credentials given both in the URL and in username/password; keep one"},
		{"dnn missing model", minimal + "    detector: {type: dnn, model: /nonexistent/m.onnx}\n", "cameras[0].detector.model: cannot read /nonexistent/m.onnx: no such file or directory"},
		{"pool model missing", minimal + "    lines: [{name: l, points: [[0.5, 0.1], [0.5, 0.9]]}]\ndetector: {model: /nonexistent/ssd.onnx}\n", "detector.model: cannot read /nonexistent/ssd.onnx: no such file or directory"},
		{"too many workers", minimal + "detector: {workers: 100}\n", "detector.workers: must be between 1 and 64, got 100"},
		{"max rate", minimal + "    detector: {max_rate: -1}\n", "cameras[0].detector.max_rate: must be between 0 and 100 inferences per second, got -1"},
		{"bad schedule", minimal + "    zones: [{name: z, points: [[0, 0], [1, 0], [1, 1]], intrusion: {schedule: [\"mon-xyz 10:00-12:00\"]}}]\n", `cameras[0].zones[0].intrusion.schedule[0]: entry 1 "mon-xyz 10:00-12:00": unknown day "xyz" (want mon, tue, wed, thu, fri, sat or sun)`},
		{"same rule name", minimal + "    lines: [{name: r, points: [[0, 0], [1, 1]]}]\n    zones: [{name: r, points: [[0, 0], [1, 0], [1, 1]]}]\n", `cameras[0].zones[0].name: "r" is already used by cameras[0].lines[0].name`},
		{"spool size", minimal + "spool: {max_bytes: 12 parsecs}\n", `spool.max_bytes: want a size such as 268435456 or "256MiB", got "12 parsecs"`},
		{"defaults url", minimal + "defaults: {url: rtsp://x/y}\n", "defaults.url: not allowed in defaults (url and onvif are per camera)"},
		{"big cidr", minimal + "discovery: {probe: [10.0.0.0/8]}\n", "discovery.probe[0]: CIDR 10.0.0.0/8 has more than 4096 addresses; split it"},
		{"unknown command", "site: s\ncommands: {disabled: [status, reboot]}\n", `commands.disabled[1]: unknown command "reboot" (known: discover, reload, snapshot, status)`},
		{"unknown command, old key", "site: s\nmqtt: {commands: {disabled: [status, reboot]}}\n", `mqtt.commands.disabled[1]: unknown command "reboot" (known: discover, reload, snapshot, status)`},
		{"max_age both names", "site: s\ncommands: {max_age: 30s}\nmqtt: {commands: {max_age: 90s}}\n", "commands.max_age: set to 30s, and mqtt.commands.max_age (its old name) to 1m30s: keep only commands.max_age"},
		{"enabled both names", "site: s\ncommands: {enabled: false}\nmqtt: {commands: {enabled: true}}\n", "commands.enabled: set to false, and mqtt.commands.enabled (its old name) to true: keep only commands.enabled"},
		{"max_age tiny", "site: s\ncommands: {max_age: 100ms}\n", "commands.max_age: must be at least 1s, got 100ms"},
		{"negative", "site: s\ncounts: {interval: -5s}\n", "counts.interval: must not be negative, got -5s"},
		{"no password file", "site: s\nmqtt: {password_file: /nonexistent/pw}\n", "mqtt.password_file: cannot read /nonexistent/pw: no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Errorf("err =\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]Bytes{"1024": 1024, "256MiB": 256 << 20, "1GB": 1e9, "1.5 KiB": 1536, "7B": 7} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "5 furlongs", "1e30GB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = nil error", in)
		}
	}
}

// FuzzParse feeds the test inputs and mutations to Parse: it must return
// a config or an error, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	if b, err := os.ReadFile("../../configs/full.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("cameras: [{name: a, lines: [{points: [[0.1, x]]}]}]"))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", c != nil, err)
		}
	})
}

// TestCommandsMaxAgeKey: commands.max_age (issue 12's name) is the key,
// 60 s when unset; mqtt.commands.max_age, its old name, still works alone
// (with a start-up warning), agrees silently, and both names hold the
// value after Load.
func TestCommandsMaxAgeKey(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       time.Duration
		warn       bool
	}{
		{"default", "site: s\n", 60 * time.Second, false},
		{"new key", "site: s\ncommands: {max_age: 30s}\n", 30 * time.Second, false},
		{"old key", "site: s\nmqtt: {commands: {max_age: 2m}}\n", 2 * time.Minute, true},
		{"both, same", "site: s\ncommands: {max_age: 45s}\nmqtt: {commands: {max_age: 45s}}\n", 45 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if c.Commands.MaxAge != tc.want || c.MQTT.Commands.MaxAge != tc.want {
				t.Fatalf("commands.max_age %v, mqtt.commands.max_age %v; want both %v", c.Commands.MaxAge, c.MQTT.Commands.MaxAge, tc.want)
			}
			warned := strings.Contains(strings.Join(Warnings(c, ""), "\n"), "mqtt.commands is the old name")
			if warned != tc.warn {
				t.Fatalf("old-name warning %v, want %v: %q", warned, tc.warn, Warnings(c, ""))
			}
		})
	}
}
