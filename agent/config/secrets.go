package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secret is one password of the config and its other possible sources.
type secret struct {
	key                   string // e.g. cameras[2]
	password              *string
	file, env, credential string
}

func secrets(c *Config) []secret {
	var out []secret
	for i := range c.Cameras {
		cam := &c.Cameras[i]
		out = append(out, secret{fmt.Sprintf("cameras[%d]", i), &cam.Password, cam.PasswordFile, cam.PasswordEnv, cam.PasswordCredential})
	}
	for i := range c.Discovery.Credentials {
		cr := &c.Discovery.Credentials[i]
		out = append(out, secret{fmt.Sprintf("discovery.credentials[%d]", i), &cr.Password, cr.PasswordFile, cr.PasswordEnv, cr.PasswordCredential})
	}
	dc := &c.Discovery.DefaultCredentials
	out = append(out, secret{"discovery.default_credentials", &dc.Password, dc.PasswordFile, dc.PasswordEnv, dc.PasswordCredential})
	return out
}

// inlinePasswords lists the keys whose password is written in the file.
func inlinePasswords(c *Config) []string {
	var keys []string
	for _, s := range secrets(c) {
		if *s.password != "" {
			keys = append(keys, s.key+".password")
		}
	}
	if c.MQTT.Password != "" {
		keys = append(keys, "mqtt.password")
	}
	return keys
}

// resolveSecrets reads password_file, password_env and password_credential
// into the passwords. Errors name the key and never hold a secret.
func resolveSecrets(c *Config, dir string, lookup func(string) (string, bool)) Errors {
	var errs Errors
	fail := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	for _, s := range secrets(c) {
		n := 0
		for _, v := range []string{*s.password, s.file, s.env, s.credential} {
			if v != "" {
				n++
			}
		}
		if n > 1 {
			fail(s.key+".password", "give only one of password, password_file, password_env, password_credential")
			continue
		}
		switch {
		case s.file != "":
			p := s.file
			if dir != "" && !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				fail(s.key+".password_file", "cannot read %s: %v", p, pathErr(err))
				continue
			}
			*s.password = strings.TrimRight(string(b), "\r\n")
		case s.env != "":
			v, ok := lookup(s.env)
			if !ok || v == "" {
				fail(s.key+".password_env", "environment variable %s is not set", s.env)
				continue
			}
			*s.password = v
		case s.credential != "":
			if strings.ContainsAny(s.credential, "/\x00") || s.credential == "." || s.credential == ".." {
				fail(s.key+".password_credential", "%q is not a credential name", s.credential)
				continue
			}
			cd, ok := lookup("CREDENTIALS_DIRECTORY")
			if !ok || cd == "" {
				fail(s.key+".password_credential", "$CREDENTIALS_DIRECTORY is not set: run under systemd with LoadCredential=%s:… (see configs/systemd/pantau.service)", s.credential)
				continue
			}
			b, err := os.ReadFile(filepath.Join(cd, s.credential))
			if err != nil {
				fail(s.key+".password_credential", "cannot read credential %s: %v", s.credential, pathErr(err))
				continue
			}
			*s.password = strings.TrimRight(string(b), "\r\n")
		}
	}
	return errs
}

func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Warnings are what the agent says at start about a config that works
// but is unsafe: passwords written in a file others may read, and TLS
// certificate checks turned off.
func Warnings(c *Config, path string) []string {
	var out []string
	if len(c.InlinePasswords) > 0 && path != "" {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o004 != 0 {
			out = append(out, fmt.Sprintf("%s holds passwords (%s) and is readable by every user (mode %04o): chmod o-r it (pantau:pantau 0640, as the package installs it), or move them to password_file, password_env or password_credential",
				path, strings.Join(c.InlinePasswords, ", "), fi.Mode().Perm()))
		}
	}
	for _, k := range c.OldKeys {
		if k == "mqtt.commands" {
			out = append(out, "mqtt.commands is the old name of the top-level commands section: it is still read, but move its keys there (commands.enabled, commands.disabled, commands.max_age)")
		}
	}
	return append(out, c.MQTT.Warnings()...)
}

// Warnings says what is unsafe in an MQTT connection that works: the
// broker's certificate not checked. The agent and the hub (which shares
// these keys) log it at start.
func (m MQTTConfig) Warnings() []string {
	if m.TLS.InsecureSkipVerify {
		return []string{"mqtt.tls.insecure_skip_verify is on: the broker's certificate is not checked, so anyone on the path can pose as the broker; use it for tests only"}
	}
	return nil
}
