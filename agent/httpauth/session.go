package httpauth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// CookieName is the browser session cookie.
const CookieName = "pantau_session"

// CSRFHeader carries a session's CSRF token on state-changing requests.
const CSRFHeader = "X-CSRF-Token"

// maxSessions bounds the session table: logging in again and again must
// not grow memory without end. The oldest session goes first.
const maxSessions = 1000

type session struct {
	user    string
	csrf    string
	expires time.Time
}

type sessions struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[string]*session{}}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(user string) (id string, sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if len(s.m) >= maxSessions {
		var oldest string
		for k, v := range s.m {
			if v.expires.Before(now) {
				delete(s.m, k)
				continue
			}
			if oldest == "" || v.expires.Before(s.m[oldest].expires) {
				oldest = k
			}
		}
		if len(s.m) >= maxSessions {
			delete(s.m, oldest)
		}
	}
	id = randomToken()
	sess = &session{user: user, csrf: randomToken(), expires: now.Add(s.ttl)}
	s.m[id] = sess
	return id, sess
}

func (s *sessions) fromRequest(r *http.Request) *session {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[c.Value]
	if !ok {
		return nil
	}
	if time.Now().After(sess.expires) {
		delete(s.m, c.Value)
		return nil
	}
	return sess
}

func (s *sessions) drop(r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		s.mu.Lock()
		delete(s.m, c.Value)
		s.mu.Unlock()
	}
}

// SessionInfo is what the UI learns about its session (GET on
// SessionHandler, and the answer to a login).
type SessionInfo struct {
	// AuthRequired is true when the listener needs credentials.
	AuthRequired bool `json:"auth_required"`
	// LoggedIn is true when the request is authenticated (always on an
	// open listener).
	LoggedIn bool `json:"logged_in"`
	// User is the logged-in user's name.
	User string `json:"user,omitempty"`
	// CSRF is the token to send in X-CSRF-Token on state-changing calls.
	CSRF string `json:"csrf,omitempty"`
}

// SessionHandler answers GET with the caller's SessionInfo. It needs no
// credentials: it is how the page decides to show its login form.
func (a *Auth) SessionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := SessionInfo{AuthRequired: !a.Open()}
		if s := a.sessions.fromRequest(r); s != nil {
			info.LoggedIn, info.User, info.CSRF = true, s.user, s.csrf
		} else if a.Open() && loopbackHost(r.Host) {
			info.LoggedIn, info.CSRF = true, a.anonCSRF
		}
		writeJSON(w, http.StatusOK, info)
	})
}

// LoginHandler answers POST {"user":…,"password":…} (JSON or a form):
// 200 with SessionInfo and a session cookie (HttpOnly, SameSite=Strict,
// Secure under TLS); 401 on a wrong name or password; 429 when the client
// failed too often (Retry-After says when to come back); 403 cross-origin.
func (a *Auth) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.cop.Check(r); err != nil {
			httpError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		client := clientKey(r)
		if wait := a.limiter.blocked(client); wait > 0 {
			w.Header().Set("Retry-After", itoa(int(wait.Seconds()+1)))
			httpError(w, http.StatusTooManyRequests, "too many failed logins; wait and retry")
			return
		}
		var in struct {
			User     string `json:"user"`
			Password string `json:"password"`
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if r.Header.Get("Content-Type") == "application/json" {
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				httpError(w, http.StatusBadRequest, "want a JSON body {\"user\":…,\"password\":…}")
				return
			}
		} else {
			in.User, in.Password = r.PostFormValue("user"), r.PostFormValue("password")
		}
		if !a.HasUsers() || !a.checkPassword(in.User, in.Password) {
			a.limiter.fail(client)
			httpError(w, http.StatusUnauthorized, "wrong user name or password")
			return
		}
		a.limiter.reset(client)
		id, s := a.sessions.create(in.User)
		http.SetCookie(w, &http.Cookie{
			Name: CookieName, Value: id, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: a.tls || r.TLS != nil,
			MaxAge: int(a.sessions.ttl.Seconds()),
		})
		writeJSON(w, http.StatusOK, SessionInfo{AuthRequired: true, LoggedIn: true, User: s.user, CSRF: s.csrf})
	})
}

// LogoutHandler answers POST by ending the caller's session (204). It
// needs the session's CSRF token like any state-changing call.
func (a *Auth) LogoutHandler() http.Handler {
	return a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.sessions.drop(r)
		http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: a.tls || r.TLS != nil})
		w.WriteHeader(http.StatusNoContent)
	}))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
