package urlcred

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
)

// Scrub masks in s the user info of raw and its password, as written in
// raw, decoded, and escaped every way a URL library may escape it,
// wherever s holds them: for an error from a library that quoted the
// credentials it was given outside any URL, which Redact and RedactText
// cannot see. Forms shorter than 3 characters are left (they would mask
// every "a" or "1" of the text).
func Scrub(s, raw string) string {
	_, userinfo, _, hasUser, ok := split(raw)
	if !ok || !hasUser || userinfo == "" {
		return s
	}
	s = strings.ReplaceAll(s, userinfo, Mask)
	_, pass, found := strings.Cut(userinfo, ":")
	if !found || pass == "" {
		return s
	}
	var forms []string
	for _, p := range []string{pass, unescape(pass)} {
		for _, f := range []string{p, url.PathEscape(p), url.QueryEscape(p), url.UserPassword("", p).String()[1:]} {
			if len(f) >= 3 && !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	// Longest first: a short form inside a longer one must not break it
	// before it is found.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, Mask)
	}
	return s
}
