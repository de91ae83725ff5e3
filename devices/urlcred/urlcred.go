// Package urlcred is the one place that redacts and strips credentials
// from URLs, for devices and agent alike: camera stream and snapshot URLs,
// ONVIF device addresses, broker URLs, and free text that holds them (log
// lines, errors, command results). It imports only the standard library.
//
// Camera passwords are often typed by hand and not percent-escaped:
// rtsp://admin:p@ss:w/rd#1?@cam/live is what a technician pastes. So the
// functions here read the user info as everything between "://" and the
// LAST '@' of the URL, whatever characters it holds; when that guess is
// wrong (an '@' in a path or query) they hide more than the credentials,
// never less.
package urlcred

import (
	"errors"
	"net/url"
	"strings"
)

// Mask replaces a secret in every output.
const Mask = "xxxxx"

// secretParams are query parameters some cameras take credentials in
// (rtsp://cam/live?user=admin&password=…); their values are masked.
var secretParams = map[string]bool{
	"user": true, "username": true, "password": true, "passwd": true, "pass": true,
	"pwd": true, "token": true, "auth": true, "key": true,
}

// ErrParse is returned (wrapped, with what kind of fault) by Split and
// Parse for a URL that does not parse. The error never holds any of the
// URL's text, since that may be a password.
var ErrParse = errors.New("not a valid URL")

// split cuts raw into "scheme://", the user info (without '@'), and the
// rest; ok is false when raw has no "://".
func split(raw string) (scheme, userinfo, rest string, hasUser, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "", "", raw, false, false
	}
	scheme, rest = raw[:i+3], raw[i+3:]
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return scheme, "", rest, false, true
	}
	return scheme, rest[:at], rest[at+1:], true, true
}

// Redact returns raw with its user info replaced by Mask
// (rtsp://admin:secret@cam/1 → rtsp://xxxxx@cam/1) and the values of
// credential query parameters masked (?user=xxxxx&password=xxxxx). It
// works on the text, so URLs that do not parse are redacted too. Use it on
// every URL that goes into a log, a metric label, an error, a status or an
// MQTT payload.
func Redact(raw string) string {
	scheme, userinfo, rest, hasUser, ok := split(raw)
	if !ok {
		return maskParams(raw)
	}
	if !hasUser {
		return scheme + maskParams(rest)
	}
	if secretValueOpen(userinfo) {
		// The '@' was inside a credential parameter's value
		// (?password=p@ss): the value goes on up to the next '&' or ';'.
		if i := strings.IndexAny(rest, "&;"); i >= 0 {
			rest = Mask + rest[i:]
		} else {
			rest = Mask
		}
	}
	return scheme + Mask + "@" + maskParams(rest)
}

// secretValueOpen reports whether s ends inside the value of a credential
// query parameter ("…?user=a&password=p").
func secretValueOpen(s string) bool {
	i := strings.LastIndexAny(s, "?&;")
	if i < 0 || !strings.Contains(s[:i+1], "?") {
		return false
	}
	k, _, found := strings.Cut(s[i+1:], "=")
	return found && secretParams[strings.ToLower(k)]
}

// maskParams masks the values of secretParams in the query of s (the text
// after the first '?'). A value runs to the next '&' or ';': a '#' in it
// may be a password's, so what follows it is masked too.
func maskParams(s string) string {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return s
	}
	pairs := strings.FieldsFunc(s[q+1:], func(r rune) bool { return r == '&' || r == ';' })
	changed := false
	for i, p := range pairs {
		k, _, found := strings.Cut(p, "=")
		if found && secretParams[strings.ToLower(k)] {
			pairs[i] = k + "=" + Mask
			changed = true
		}
	}
	if !changed {
		return s
	}
	return s[:q+1] + strings.Join(pairs, "&")
}

// Split parses raw and returns it without user info, with the user and
// password it held (percent-escapes decoded; a password that is not
// escaped is taken as it is). An error wraps ErrParse and holds none of
// raw's text.
func Split(raw string) (u *url.URL, user, password string, err error) {
	scheme, userinfo, rest, hasUser, ok := split(raw)
	clean := raw
	if ok && hasUser {
		clean = scheme + rest
		u, p, _ := strings.Cut(userinfo, ":")
		user, password = unescape(u), unescape(p)
	}
	parsed, err := Parse(clean)
	if err != nil {
		return nil, "", "", err
	}
	return parsed, user, password, nil
}

// Strip returns raw without its user info (rtsp://admin:pw@cam/1 →
// rtsp://cam/1). A URL that does not parse comes back redacted instead.
func Strip(raw string) string {
	u, _, _, err := Split(raw)
	if err != nil {
		return Redact(raw)
	}
	return u.String()
}

// Parse is url.Parse whose error holds none of raw's text (url.Parse
// quotes the URL, and sometimes a password fragment, in its errors).
func Parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil {
		return u, nil
	}
	var (
		esc  url.EscapeError
		host url.InvalidHostError
	)
	switch {
	case errors.As(err, &esc):
		return nil, errWhy("bad percent-escape")
	case errors.As(err, &host):
		return nil, errWhy("invalid character in host")
	case strings.Contains(err.Error(), "invalid port"):
		return nil, errWhy("invalid port")
	case strings.Contains(err.Error(), "control character"):
		return nil, errWhy("control character")
	case strings.Contains(err.Error(), "missing protocol scheme"), strings.Contains(err.Error(), "first path segment"):
		return nil, errWhy("missing scheme")
	}
	return nil, ErrParse
}

func errWhy(why string) error { return &parseError{why} }

type parseError struct{ why string }

func (e *parseError) Error() string { return ErrParse.Error() + ": " + e.why }
func (e *parseError) Unwrap() error { return ErrParse }

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s // not escaped (a '%' typed as such)
}

// With returns raw with user and password put in (escaped), unless raw has
// user info already or user is empty. It returns raw unchanged if it does
// not parse (the caller reports that with Parse).
func With(raw, user, password string) string {
	if user == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil {
		return raw
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}
