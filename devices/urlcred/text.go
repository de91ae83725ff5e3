package urlcred

import "strings"

// RedactText redacts every URL in free text (a log line, an error, a
// command result): each run of non-space characters that holds "://" is
// passed through Redact, and credential parameters (password=…) outside
// URLs are masked too.
func RedactText(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(s, "=") {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexAny(s, " \t\n\r\"'<>`")
		tok, sep := s, ""
		if i >= 0 {
			tok, sep, s = s[:i], s[i:i+1], s[i+1:]
		} else {
			s = ""
		}
		switch {
		case strings.Contains(tok, "://"):
			j := strings.Index(tok, "://")
			// The scheme starts at the first letter run before "://".
			k := j
			for k > 0 && isSchemeChar(tok[k-1]) {
				k--
			}
			tok = tok[:k] + Redact(tok[k:])
		case strings.Contains(tok, "="):
			tok = maskParams("?" + tok)[1:]
		}
		b.WriteString(tok)
		b.WriteString(sep)
	}
	return b.String()
}

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-'
}
