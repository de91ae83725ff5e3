package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is one problem with one key.
type FieldError struct {
	// Key is the key path, e.g. "cameras[1].lines[0].points".
	Key string
	// Msg says what is wrong. It never holds a secret.
	Msg string
}

// Error returns "key: msg".
func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// Errors is every problem found in a config, in file order. Load and Parse
// return it (as error) when the config is invalid; use errors.As to get the
// list.
type Errors []error

// Error joins the problems, one per line.
func (e Errors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (e Errors) Unwrap() []error { return e }

// Load reads the YAML file at path, applies the PANTAU_* environment
// overrides, reads mqtt.password_file, resolves relative file paths against
// the file's directory, fills defaults and validates. On invalid input the
// error is an Errors listing every problem.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return load(data, filepath.Dir(path), os.LookupEnv)
}

// Parse reads a YAML config from data, fills defaults and validates. It
// does not read the environment; relative file paths stay relative to the
// working directory.
func Parse(data []byte) (*Config, error) {
	return load(data, "", func(string) (string, bool) { return "", false })
}

// Default returns the built-in configuration with no cameras. Its Site is
// empty, so it does not validate as it is.
func Default() *Config {
	c := &Config{}
	fillDefaults(c)
	return c
}

func load(data []byte, dir string, lookup func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{fmt.Errorf("yaml: %s", strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	c := &Config{}
	d := &decoder{}
	if len(root.Content) > 0 {
		d.top(root.Content[0], c)
	}
	d.commandsAlias(c)
	c.InlinePasswords = inlinePasswords(c)
	d.env(c, lookup)
	fillDefaults(c)
	resolvePaths(c, dir)
	errs := append(d.errs, resolveSecrets(c, dir, lookup)...)
	errs = append(errs, validate(c)...)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// top decodes the document: every key but cameras first, then each camera
// starting from the defaults section.
func (d *decoder) top(n *yaml.Node, c *Config) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail("(document)", "want a mapping of keys, got %s", describe(n))
		return
	}
	var cams *yaml.Node
	rest := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "cameras" && cams == nil {
			cams = n.Content[i+1]
			continue
		}
		rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
	}
	d.structure("", rest, reflect.ValueOf(c).Elem())
	if c.Defaults.Name != "" {
		d.fail("defaults.name", "not allowed in defaults")
	}
	if c.Defaults.URL != "" || c.Defaults.ONVIF != "" {
		d.fail("defaults.url", "not allowed in defaults (url and onvif are per camera)")
	}
	if cams == nil {
		return
	}
	for cams.Kind == yaml.AliasNode {
		cams = cams.Alias
	}
	if cams.Kind == yaml.ScalarNode && cams.Tag == "!!null" {
		return
	}
	if cams.Kind != yaml.SequenceNode {
		d.fail("cameras", "want a list, got %s", describe(cams))
		return
	}
	c.Cameras = make([]Camera, len(cams.Content))
	for i, item := range cams.Content {
		c.Cameras[i] = c.Defaults
		d.decode(fmt.Sprintf("cameras[%d]", i), item, reflect.ValueOf(&c.Cameras[i]).Elem())
	}
}

// EnvVars lists the environment variables Load applies, each with the key
// it overrides.
var EnvVars = [][2]string{
	{"PANTAU_SITE", "site"},
	{"PANTAU_AGENT", "agent"},
	{"PANTAU_LOG_LEVEL", "log.level"},
	{"PANTAU_LOG_FORMAT", "log.format"},
	{"PANTAU_HTTP_LISTEN", "http.listen"},
	{"PANTAU_HTTP_AUTH_USERS_FILE", "http.auth.users_file"},
	{"PANTAU_HTTP_AUTH_TOKENS_FILE", "http.auth.tokens_file"},
	{"PANTAU_MQTT_URL", "mqtt.url"},
	{"PANTAU_MQTT_CLIENT_ID", "mqtt.client_id"},
	{"PANTAU_MQTT_USERNAME", "mqtt.username"},
	{"PANTAU_MQTT_PASSWORD", "mqtt.password"},
	{"PANTAU_SPOOL_DIR", "spool.dir"},
	{"PANTAU_DISCOVERY_ENABLED", "discovery.enabled"},
}

func (d *decoder) env(c *Config, lookup func(string) (string, bool)) {
	targets := map[string]*string{
		"site": &c.Site, "agent": &c.Agent, "log.level": &c.Log.Level,
		"log.format": &c.Log.Format, "http.listen": &c.HTTP.Listen,
		"http.auth.users_file": &c.HTTP.Auth.UsersFile, "http.auth.tokens_file": &c.HTTP.Auth.TokensFile,
		"mqtt.url": &c.MQTT.URL, "mqtt.client_id": &c.MQTT.ClientID,
		"mqtt.username": &c.MQTT.Username, "mqtt.password": &c.MQTT.Password,
		"spool.dir": &c.Spool.Dir,
	}
	for _, ev := range EnvVars {
		val, ok := lookup(ev[0])
		if !ok {
			continue
		}
		switch ev[1] {
		case "discovery.enabled":
			b, err := strconv.ParseBool(val)
			if err != nil {
				d.fail(ev[0], "want true or false, got %q", val)
				continue
			}
			c.Discovery.Enabled = b
		case "mqtt.password":
			c.MQTT.Password, c.MQTT.PasswordFile = val, ""
		default:
			*targets[ev[1]] = val
		}
	}
}

// resolvePaths makes relative file paths relative to dir (when dir is set)
// and reads the MQTT password file.
func resolvePaths(c *Config, dir string) {
	abs := func(p *string) {
		if dir != "" && *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.MQTT.PasswordFile)
	abs(&c.HTTP.Auth.UsersFile)
	abs(&c.HTTP.Auth.TokensFile)
	abs(&c.HTTP.TLS.CertFile)
	abs(&c.HTTP.TLS.KeyFile)
	abs(&c.MQTT.TLS.CAFile)
	abs(&c.MQTT.TLS.CertFile)
	abs(&c.MQTT.TLS.KeyFile)
	abs(&c.Detector.Model)
	if c.Detector.Model == "" {
		c.Detector.Model = findModel(dir)
	}
	for i := range c.Cameras {
		if !IsModelName(c.Cameras[i].Detector.Model) {
			abs(&c.Cameras[i].Detector.Model)
		}
		abs(&c.Cameras[i].Detector.ModelsDir)
		abs(&c.Cameras[i].Detector.ClassesFile)
	}
}

// readPasswordFile reads mqtt.password_file into mqtt.password.
func readPasswordFile(c *Config) error {
	if c.MQTT.PasswordFile == "" {
		return nil
	}
	b, err := os.ReadFile(c.MQTT.PasswordFile)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &FieldError{Key: "mqtt.password_file", Msg: fmt.Sprintf("cannot read %s: %v", c.MQTT.PasswordFile, err)}
	}
	c.MQTT.Password = strings.TrimRight(string(b), "\r\n")
	return nil
}

// findModel looks for the default model where set-up and the package put
// it: models/ in dir or a parent, in the working directory or a parent,
// then /usr/share/pantau/models. It returns "" when there is none (the
// pool then fails at check and start, naming detector.model).
func findModel(dir string) string {
	file := DefaultModel + ".onnx"
	var starts []string
	if dir != "" {
		starts = append(starts, dir)
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, d := range starts {
		d, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		for {
			p := filepath.Join(d, "models", file)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	if p := filepath.Join("/usr/share/pantau/models", file); fileExists(p) {
		return p
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
