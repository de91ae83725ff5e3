package httpauth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// KeyError is a problem with one config key, such as
// "http.auth.users_file". Config validators turn it into their own
// field error.
type KeyError struct {
	// Key is the config key at fault.
	Key string
	// Msg says what is wrong; it never holds a secret.
	Msg string
}

// Error returns "key: msg".
func (e *KeyError) Error() string { return e.Key + ": " + e.Msg }

// Users maps a user name to its bcrypt hash.
type Users map[string][]byte

// Tokens holds the SHA-256 of each bearer token, so comparing a presented
// token costs the same whichever token it matches.
type Tokens map[[sha256.Size]byte]bool

// LoadUsers reads an htpasswd-style file of "name:<bcrypt hash>" lines.
// key names the config key in errors. The file must not be readable by
// others (group is fine: root:pantau 0640).
func LoadUsers(key, path string) (Users, error) {
	lines, err := readPrivate(key, path)
	if err != nil {
		return nil, err
	}
	u := Users{}
	for _, l := range lines {
		name, hash, ok := strings.Cut(l.text, ":")
		if !ok || name == "" {
			return nil, &KeyError{key, fmt.Sprintf("%s line %d: want name:<bcrypt hash>", path, l.n)}
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, &KeyError{key, fmt.Sprintf("%s line %d: user %q: not a bcrypt hash (make one with htpasswd -nB %s or pantau passwd %s)", path, l.n, name, name, name)}
		}
		if _, dup := u[name]; dup {
			return nil, &KeyError{key, fmt.Sprintf("%s line %d: user %q given twice", path, l.n, name)}
		}
		u[name] = []byte(hash)
	}
	if len(u) == 0 {
		return nil, &KeyError{key, fmt.Sprintf("%s holds no users", path)}
	}
	return u, nil
}

// LoadTokens reads a file of bearer tokens, one per line. Tokens shorter
// than 16 characters are refused: they can be guessed.
func LoadTokens(key, path string) (Tokens, error) {
	lines, err := readPrivate(key, path)
	if err != nil {
		return nil, err
	}
	t := Tokens{}
	for _, l := range lines {
		if len(l.text) < 16 || strings.ContainsAny(l.text, " \t") {
			return nil, &KeyError{key, fmt.Sprintf("%s line %d: a token must be at least 16 characters without spaces (openssl rand -hex 32)", path, l.n)}
		}
		t[sha256.Sum256([]byte(l.text))] = true
	}
	if len(t) == 0 {
		return nil, &KeyError{key, fmt.Sprintf("%s holds no tokens", path)}
	}
	return t, nil
}

type line struct {
	n    int
	text string
}

// readPrivate reads the meaningful lines of a secrets file, refusing one
// that other users may read.
func readPrivate(key, path string) ([]line, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &KeyError{key, fmt.Sprintf("cannot read %s: %v", path, unwrap(err))}
	}
	if st.Mode().Perm()&0o007 != 0 {
		return nil, &KeyError{key, fmt.Sprintf("%s is readable by other users (mode %04o); chmod o-rwx it", path, st.Mode().Perm())}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &KeyError{key, fmt.Sprintf("cannot read %s: %v", path, unwrap(err))}
	}
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, line{n, t})
	}
	return out, nil
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// HashPassword returns a bcrypt hash of password for a users_file line.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}
