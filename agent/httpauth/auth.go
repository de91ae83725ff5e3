package httpauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Config keys, as the agent's and the hub's config files spell them.
const (
	KeyListen     = "http.listen"
	KeyUsersFile  = "http.auth.users_file"
	KeyTokensFile = "http.auth.tokens_file"
	KeyCertFile   = "http.tls.cert_file"
	KeyKeyFile    = "http.tls.key_file"
)

// Config is the http section shared by the agent and the hub.
type Config struct {
	// Listen is host:port. A loopback host (127.0.0.0/8, ::1, localhost)
	// may run without credentials; any other host, including an empty one
	// (every interface), needs UsersFile or TokensFile.
	Listen string
	// UsersFile holds "name:<bcrypt hash>" lines.
	UsersFile string
	// TokensFile holds bearer tokens, one per line.
	TokensFile string
	// CertFile and KeyFile turn TLS on (PEM); both or neither.
	CertFile, KeyFile string
	// SessionTTL is how long a browser login lasts. It defaults to 12 h.
	SessionTTL time.Duration
}

// Auth checks requests against the configured users and tokens. It is
// safe for concurrent use.
type Auth struct {
	users    Users
	tokens   Tokens
	tls      bool
	sessions *sessions
	limiter  *limiter
	// anonCSRF is the CSRF token of an open (loopback, no credentials)
	// listener: the UI still has to send it, so a page from another site
	// that makes the browser post to 127.0.0.1 is refused.
	anonCSRF string
	cop      *http.CrossOriginProtection
}

// IsLoopback reports whether listen (host:port) binds only to loopback.
// An empty host, 0.0.0.0 and :: bind every interface.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Check validates cfg without keeping anything: the files load, TLS is
// both-or-neither, and a non-loopback listen has credentials. Config
// validators call it; every error is a *KeyError.
func Check(cfg Config) []error {
	var errs []error
	if cfg.UsersFile != "" {
		if _, err := LoadUsers(KeyUsersFile, cfg.UsersFile); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.TokensFile != "" {
		if _, err := LoadTokens(KeyTokensFile, cfg.TokensFile); err != nil {
			errs = append(errs, err)
		}
	}
	if err := RequireCredentials(cfg); err != nil {
		errs = append(errs, err)
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		errs = append(errs, &KeyError{KeyCertFile, "give both http.tls.cert_file and http.tls.key_file, or neither"})
	} else if cfg.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile); err != nil {
			errs = append(errs, &KeyError{KeyCertFile, fmt.Sprintf("cannot load the certificate and key: %v", unwrap(err))})
		}
	}
	return errs
}

// RequireCredentials returns a *KeyError naming http.auth.users_file when
// cfg listens off loopback without users or tokens.
func RequireCredentials(cfg Config) error {
	if IsLoopback(cfg.Listen) || cfg.UsersFile != "" || cfg.TokensFile != "" {
		return nil
	}
	return &KeyError{KeyUsersFile, fmt.Sprintf(
		"required because http.listen %q is not a loopback address: anyone on the network could watch the cameras. "+
			"Set http.auth.users_file (name:<bcrypt hash> lines) and/or http.auth.tokens_file, or listen on 127.0.0.1", cfg.Listen)}
}

// New loads the credentials of cfg. It refuses a non-loopback listen
// without credentials.
func New(cfg Config) (*Auth, error) {
	if err := RequireCredentials(cfg); err != nil {
		return nil, err
	}
	a := &Auth{tls: cfg.CertFile != "", limiter: newLimiter(), anonCSRF: randomToken(), cop: http.NewCrossOriginProtection()}
	var err error
	if cfg.UsersFile != "" {
		if a.users, err = LoadUsers(KeyUsersFile, cfg.UsersFile); err != nil {
			return nil, err
		}
	}
	if cfg.TokensFile != "" {
		if a.tokens, err = LoadTokens(KeyTokensFile, cfg.TokensFile); err != nil {
			return nil, err
		}
	}
	ttl := cfg.SessionTTL
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	a.sessions = newSessions(ttl)
	return a, nil
}

// Open reports whether requests need no credentials (a loopback listener
// configured without users or tokens).
func (a *Auth) Open() bool { return len(a.users) == 0 && len(a.tokens) == 0 }

// HasUsers reports whether people can log in (a users file is set).
func (a *Auth) HasUsers() bool { return len(a.users) > 0 }

type ctxKey struct{}

// Principal is who made a request.
type Principal struct {
	// User is the user name, "token" for a bearer token, or "" on an open
	// listener.
	User string
	// Session is set when the request came with a browser session cookie.
	Session bool
}

// Who returns the principal that Require attached to r's context.
func Who(r *http.Request) (Principal, bool) {
	p, ok := r.Context().Value(ctxKey{}).(Principal)
	return p, ok
}

// Require wraps next so that it runs only for authenticated requests:
// a bearer token, HTTP Basic with a user's password, or a session cookie
// (then state-changing methods must carry the session's CSRF token in
// X-CSRF-Token). Cross-origin state-changing requests are refused in
// every case. Failures answer 401 (403 for CSRF, 429 when rate-limited).
func (a *Auth) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.cop.Check(r); err != nil {
			httpError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		p, code, msg := a.authenticate(r)
		if code != 0 {
			if code == http.StatusUnauthorized && a.HasUsers() && !isBrowserAPI(r) {
				w.Header().Set("WWW-Authenticate", `Basic realm="pantau", charset="UTF-8"`)
			} else if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="pantau"`)
			}
			httpError(w, code, msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	})
}

// isBrowserAPI is true for the UI's own fetches, which must not make the
// browser pop up its Basic dialog (the page shows its login form).
func isBrowserAPI(r *http.Request) bool { return r.Header.Get("X-Pantau-UI") != "" }

func (a *Auth) authenticate(r *http.Request) (Principal, int, string) {
	client := clientKey(r)
	if wait := a.limiter.blocked(client); wait > 0 {
		return Principal{}, http.StatusTooManyRequests, fmt.Sprintf("too many failed attempts; retry in %s", wait.Round(time.Second))
	}
	authz := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(authz, "Bearer "):
		sum := sha256.Sum256([]byte(strings.TrimSpace(authz[len("Bearer "):])))
		if a.tokens[sum] {
			return Principal{User: "token"}, 0, ""
		}
		a.limiter.fail(client)
		return Principal{}, http.StatusUnauthorized, "bad bearer token"
	case strings.HasPrefix(authz, "Basic "):
		user, pass, ok := r.BasicAuth()
		if ok && a.checkPassword(user, pass) {
			return Principal{User: user}, 0, ""
		}
		a.limiter.fail(client)
		return Principal{}, http.StatusUnauthorized, "bad user name or password"
	}
	if s := a.sessions.fromRequest(r); s != nil {
		if unsafeMethod(r.Method) && !sameToken(r.Header.Get(CSRFHeader), s.csrf) {
			return Principal{}, http.StatusForbidden, "missing or wrong " + CSRFHeader + " header"
		}
		return Principal{User: s.user, Session: true}, 0, ""
	}
	if a.Open() {
		if !loopbackHost(r.Host) {
			return Principal{}, http.StatusForbidden, "this listener has no credentials and answers only to a loopback host name (127.0.0.1, [::1], localhost)"
		}
		if unsafeMethod(r.Method) && !sameToken(r.Header.Get(CSRFHeader), a.anonCSRF) {
			return Principal{}, http.StatusForbidden, "missing or wrong " + CSRFHeader + " header"
		}
		return Principal{}, 0, ""
	}
	return Principal{}, http.StatusUnauthorized, "authentication required"
}

// loopbackHost reports whether a Host header names loopback. An open
// listener refuses other names: a web page whose own name an attacker
// points at 127.0.0.1 (DNS rebinding) would otherwise be same-origin with
// the agent and could read its cameras.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkPassword compares in constant time per user; an unknown user costs
// a bcrypt comparison too, so timing does not tell which names exist.
func (a *Auth) checkPassword(user, pass string) bool {
	h, ok := a.users[user]
	if !ok {
		h = dummyHash
	}
	err := bcrypt.CompareHashAndPassword(h, []byte(pass))
	return ok && err == nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("pantau-dummy"), bcrypt.DefaultCost)

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientKey is the rate-limit key of r: its remote IP. Forwarded headers
// are not trusted; a proxy in front should do its own limiting.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg}) // the client went away
}
