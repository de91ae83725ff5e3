package httpauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

const testToken = "0123456789abcdef0123456789abcdef"

// writeFile writes a secrets file with mode perm.
func writeFile(t *testing.T, name, body string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // umask may have cut bits
		t.Fatal(err)
	}
	return p
}

func usersFile(t *testing.T, user, pass string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "users", "# people\n"+user+":"+string(h)+"\n", 0o600)
}

func TestRefusals(t *testing.T) {
	users := usersFile(t, "tech", "s3cret-pass")
	tokens := writeFile(t, "tokens", testToken+"\n", 0o600)
	cases := []struct {
		name string
		cfg  Config
		key  string // "" = accepted
		msg  string
	}{
		{"loopback v4 open", Config{Listen: "127.0.0.1:9090"}, "", ""},
		{"loopback v6 open", Config{Listen: "[::1]:9090"}, "", ""},
		{"localhost open", Config{Listen: "localhost:9090"}, "", ""},
		{"every interface open", Config{Listen: ":9090"}, KeyUsersFile, "not a loopback address"},
		{"0.0.0.0 open", Config{Listen: "0.0.0.0:9090"}, KeyUsersFile, "not a loopback address"},
		{"[::] open", Config{Listen: "[::]:9090"}, KeyUsersFile, "not a loopback address"},
		{"LAN address open", Config{Listen: "192.168.1.5:9090"}, KeyUsersFile, "not a loopback address"},
		{"LAN with users", Config{Listen: ":9090", UsersFile: users}, "", ""},
		{"LAN with tokens", Config{Listen: ":9090", TokensFile: tokens}, "", ""},
		{"users file missing", Config{Listen: ":9090", UsersFile: "/nonexistent/users"}, KeyUsersFile, "cannot read"},
		{"users file world-readable", Config{Listen: ":9090", UsersFile: writeFile(t, "u", "a:$2a$04$abc\n", 0o644)}, KeyUsersFile, "readable by other users"},
		{"users file plain password", Config{Listen: ":9090", UsersFile: writeFile(t, "u2", "tech:hunter2\n", 0o600)}, KeyUsersFile, "not a bcrypt hash"},
		{"users file no colon", Config{Listen: ":9090", UsersFile: writeFile(t, "u3", "tech\n", 0o600)}, KeyUsersFile, "want name:<bcrypt hash>"},
		{"users file empty", Config{Listen: ":9090", UsersFile: writeFile(t, "u4", "# nobody\n", 0o600)}, KeyUsersFile, "holds no users"},
		{"short token", Config{Listen: ":9090", TokensFile: writeFile(t, "t", "abc\n", 0o600)}, KeyTokensFile, "at least 16"},
		{"tokens world-readable", Config{Listen: ":9090", TokensFile: writeFile(t, "t2", testToken+"\n", 0o604)}, KeyTokensFile, "readable by other users"},
		{"cert without key", Config{Listen: "127.0.0.1:9090", CertFile: "x.pem"}, KeyCertFile, "both"},
		{"cert unreadable", Config{Listen: "127.0.0.1:9090", CertFile: "/nonexistent/c", KeyFile: "/nonexistent/k"}, KeyCertFile, "cannot load"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := Check(tc.cfg)
			if tc.key == "" {
				if len(errs) > 0 {
					t.Fatalf("Check: %v", errs)
				}
				if _, err := New(tc.cfg); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("Check gave %d errors (%v), want 1 naming %s", len(errs), errs, tc.key)
			}
			var ke *KeyError
			if !errors.As(errs[0], &ke) || ke.Key != tc.key || !strings.Contains(ke.Msg, tc.msg) {
				t.Fatalf("Check: %v, want key %s and %q", errs[0], tc.key, tc.msg)
			}
			if tc.key == KeyCertFile {
				return // New does not read TLS files; Listen does
			}
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("New: %v, want an error naming %s", err, tc.key)
			}
		})
	}
}

func TestSecretsNeverEchoed(t *testing.T) {
	// A file of plain passwords by mistake: the error names the user, not
	// the password.
	p := writeFile(t, "u", "tech:hunter2-secret\n", 0o600)
	_, err := LoadUsers(KeyUsersFile, p)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v echoes the password", err)
	}
	p = writeFile(t, "t", "short-secret\n", 0o600)
	_, err = LoadTokens(KeyTokensFile, p)
	if err == nil || strings.Contains(err.Error(), "short-secret") {
		t.Fatalf("error %v echoes the token", err)
	}
}

func newAuth(t *testing.T, cfg Config) *Auth {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, _ := Who(r)
	_, _ = w.Write([]byte("hello " + p.User))
})

func do(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRequire(t *testing.T) {
	a := newAuth(t, Config{Listen: ":9090", UsersFile: usersFile(t, "tech", "s3cret-pass"),
		TokensFile: writeFile(t, "tokens", testToken+"\n", 0o600)})
	h := a.Require(okHandler)
	req := func(method, authz string) *http.Request {
		r := httptest.NewRequest(method, "/api/v1/cameras", nil)
		r.RemoteAddr = "10.0.0.7:5555"
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		return r
	}
	basic := func(u, p string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	cases := []struct {
		name   string
		r      *http.Request
		code   int
		body   string
		header string
	}{
		{"no credentials", req("GET", ""), 401, "authentication required", `Basic realm="pantau"`},
		{"bearer token", req("GET", "Bearer "+testToken), 200, "hello token", ""},
		{"bearer POST needs no CSRF", req("POST", "Bearer "+testToken), 200, "hello token", ""},
		{"wrong token", req("GET", "Bearer "+strings.Repeat("x", 32)), 401, "bad bearer token", ""},
		{"basic", req("GET", basic("tech", "s3cret-pass")), 200, "hello tech", ""},
		{"basic wrong password", req("GET", basic("tech", "nope")), 401, "bad user name", ""},
		{"basic unknown user", req("GET", basic("eve", "s3cret-pass")), 401, "bad user name", ""},
	}
	for _, tc := range cases {
		w := do(h, tc.r)
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, w.Code, w.Body, tc.code, tc.body)
		}
		if tc.header != "" && !strings.Contains(w.Header().Get("WWW-Authenticate"), tc.header) {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, w.Header().Get("WWW-Authenticate"), tc.header)
		}
	}
	// Cross-site POST is refused even with a valid token.
	r := req("POST", "Bearer "+testToken)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := do(h, r); w.Code != 403 {
		t.Errorf("cross-site POST: %d, want 403", w.Code)
	}
}

func TestRateLimit(t *testing.T) {
	a := newAuth(t, Config{Listen: ":9090", UsersFile: usersFile(t, "tech", "s3cret-pass")})
	login := a.LoginHandler()
	post := func(addr, pass string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"user":"tech","password":"`+pass+`"}`))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = addr
		return do(login, r)
	}
	for i := 0; i < maxFailures; i++ {
		if w := post("10.0.0.9:1", "wrong"); w.Code != 401 {
			t.Fatalf("attempt %d: %d, want 401", i, w.Code)
		}
	}
	w := post("10.0.0.9:1", "s3cret-pass")
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d failures the right password got %d (Retry-After %q), want 429", maxFailures, w.Code, w.Header().Get("Retry-After"))
	}
	// Basic auth from the locked address is refused too: no side door.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.9:2"
	r.SetBasicAuth("tech", "s3cret-pass")
	if w := do(a.Require(okHandler), r); w.Code != 429 {
		t.Fatalf("basic from a locked address: %d, want 429", w.Code)
	}
	// Another address is not locked out.
	if w := post("10.0.0.10:1", "s3cret-pass"); w.Code != 200 {
		t.Fatalf("other address: %d, want 200", w.Code)
	}
}

func TestSessionCookieAndCSRF(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		cfg := Config{Listen: ":9090", UsersFile: usersFile(t, "tech", "s3cret-pass")}
		a := newAuth(t, cfg)
		a.tls = tlsOn
		r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader("user=tech&password=s3cret-pass"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := do(a.LoginHandler(), r)
		if w.Code != 200 {
			t.Fatalf("login: %d %s", w.Code, w.Body)
		}
		var info SessionInfo
		if err := json.Unmarshal(w.Body.Bytes(), &info); err != nil || info.CSRF == "" || info.User != "tech" {
			t.Fatalf("login answer %s (%v)", w.Body, err)
		}
		if strings.Contains(w.Body.String(), "s3cret") {
			t.Fatal("login answer holds the password")
		}
		cookies := w.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("cookies %v", cookies)
		}
		c := cookies[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tlsOn {
			t.Fatalf("tls=%v: cookie HttpOnly=%v SameSite=%v Secure=%v", tlsOn, c.HttpOnly, c.SameSite, c.Secure)
		}
		h := a.Require(okHandler)
		call := func(method, csrf string) int {
			r := httptest.NewRequest(method, "/api/v1/cameras", nil)
			r.AddCookie(c)
			if csrf != "" {
				r.Header.Set(CSRFHeader, csrf)
			}
			return do(h, r).Code
		}
		if got := call("GET", ""); got != 200 {
			t.Errorf("GET with cookie: %d", got)
		}
		if got := call("PUT", ""); got != 403 {
			t.Errorf("PUT without CSRF token: %d, want 403", got)
		}
		if got := call("PUT", "forged"); got != 403 {
			t.Errorf("PUT with a wrong CSRF token: %d, want 403", got)
		}
		if got := call("PUT", info.CSRF); got != 200 {
			t.Errorf("PUT with the CSRF token: %d, want 200", got)
		}
		// Logout ends the session.
		r = httptest.NewRequest("POST", "/api/v1/logout", nil)
		r.AddCookie(c)
		r.Header.Set(CSRFHeader, info.CSRF)
		if w := do(a.LogoutHandler(), r); w.Code != 204 {
			t.Fatalf("logout: %d", w.Code)
		}
		if got := call("GET", ""); got != 401 {
			t.Errorf("GET after logout: %d, want 401", got)
		}
	}
}

func TestOpenLoopbackStillNeedsCSRF(t *testing.T) {
	a := newAuth(t, Config{Listen: "127.0.0.1:9090"})
	if !a.Open() {
		t.Fatal("loopback without credentials should be open")
	}
	w := do(a.SessionHandler(), httptest.NewRequest("GET", "http://127.0.0.1:9090/api/v1/session", nil))
	var info SessionInfo
	_ = json.Unmarshal(w.Body.Bytes(), &info)
	if info.AuthRequired || !info.LoggedIn || info.CSRF == "" {
		t.Fatalf("session on an open listener: %s", w.Body)
	}
	h := a.Require(okHandler)
	if w := do(h, httptest.NewRequest("GET", "http://127.0.0.1:9090/", nil)); w.Code != 200 {
		t.Fatalf("open GET: %d", w.Code)
	}
	if w := do(h, httptest.NewRequest("POST", "http://127.0.0.1:9090/", nil)); w.Code != 403 {
		t.Fatalf("open POST without CSRF token: %d, want 403", w.Code)
	}
	r := httptest.NewRequest("POST", "http://127.0.0.1:9090/", nil)
	r.Header.Set(CSRFHeader, info.CSRF)
	if w := do(h, r); w.Code != 200 {
		t.Fatalf("open POST with the CSRF token: %d", w.Code)
	}
	// DNS rebinding: a foreign host name gets neither data nor the token.
	r = httptest.NewRequest("GET", "/", nil)
	r.Host = "attacker.example:9090"
	if w := do(h, r); w.Code != 403 {
		t.Fatalf("open GET with a foreign Host: %d, want 403", w.Code)
	}
	w = do(a.SessionHandler(), r)
	if strings.Contains(w.Body.String(), info.CSRF) {
		t.Fatal("the CSRF token went to a foreign Host")
	}
	for _, host := range []string{"127.0.0.1:9090", "localhost", "[::1]:9090"} {
		r = httptest.NewRequest("GET", "/", nil)
		r.Host = host
		if w := do(h, r); w.Code != 200 {
			t.Errorf("open GET with Host %s: %d", host, w.Code)
		}
	}
	// A login on an open listener has nobody to log in as.
	r = httptest.NewRequest("POST", "/api/v1/login", strings.NewReader("user=a&password=b"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := do(a.LoginHandler(), r); w.Code != 401 {
		t.Fatalf("login on open listener: %d", w.Code)
	}
}

func TestIsLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:1": true, "127.1.2.3:1": true, "[::1]:1": true, "localhost:1": true,
		":1": false, "0.0.0.0:1": false, "[::]:1": false, "10.0.0.1:1": false, "example.com:1": false, "bad": false,
	} {
		if got := IsLoopback(listen); got != want {
			t.Errorf("IsLoopback(%q) = %v", listen, got)
		}
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "users", "tech:"+h+"\n", 0o640)
	a := newAuth(t, Config{Listen: ":9090", UsersFile: p})
	if !a.checkPassword("tech", "correct horse") || a.checkPassword("tech", "wrong horse") {
		t.Fatal("hash does not check the password")
	}
}
