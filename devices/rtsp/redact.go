package rtsp

import "strings"

// redacted replaces a secret in URLs, errors and logs.
const redacted = "xxxxx"

// secretQueryKeys are query parameters some cameras take credentials in
// (rtsp://host/stream?user=admin&password=…).
var secretQueryKeys = map[string]bool{
	"user": true, "username": true, "password": true, "pass": true,
	"passwd": true, "pwd": true, "token": true, "auth": true,
}

// Redact returns rawURL with its user and password replaced by "xxxxx"
// (rtsp://admin:secret@cam/s → rtsp://xxxxx:xxxxx@cam/s), and the values of
// credential query parameters (user, password, pwd, token …) likewise. It
// works on the raw text, so it also redacts URLs that do not parse (an
// unescaped '@' or '/' in a password); when in doubt it redacts more than
// the credentials, never less. Use it on every URL that goes into a log,
// a metric label, an error or an MQTT payload.
func Redact(rawURL string) string {
	prefix, rest := "", rawURL
	if i := strings.Index(rawURL, "://"); i >= 0 {
		prefix, rest = rawURL[:i+3], rawURL[i+3:]
	}
	// The user info ends at the last '@' before the query: a password may
	// hold an unescaped '/', so the first '/' cannot be trusted to end it.
	end := len(rest)
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		end = i
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		user := redacted
		if strings.Contains(rest[:at], ":") {
			user = redacted + ":" + redacted
		}
		rest = user + rest[at:]
	}
	return prefix + redactQuery(rest)
}

// redactQuery replaces the values of secretQueryKeys in the query part of
// s (the text between the first '?' and the following '#').
func redactQuery(s string) string {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return s
	}
	query, frag := s[q+1:], ""
	if h := strings.IndexByte(query, '#'); h >= 0 {
		query, frag = query[:h], query[h:]
	}
	pairs := strings.Split(query, "&")
	for i, p := range pairs {
		k, _, ok := strings.Cut(p, "=")
		if ok && secretQueryKeys[strings.ToLower(k)] {
			pairs[i] = k + "=" + redacted
		}
	}
	return s[:q+1] + strings.Join(pairs, "&") + frag
}
