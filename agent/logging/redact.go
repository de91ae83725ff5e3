package logging

import (
	"context"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"log/slog"
	"regexp"
	"strings"
)

// secretFieldRE finds "Password:x", "password=x" and "\"password\":\"x\""
// in formatted structs, JSON and free text.
var secretFieldRE = regexp.MustCompile(`(?i)\b((?:password|passwd|secret|token)"?\s*[:=]\s*"?)[^\s,}\]"']+`)

// Redacted replaces credentials.
const Redacted = urlcred.Mask

// Redact applies urlcred.RedactText (the URLs in s) and also replaces values written as
// password=…, Password:… or "password":"…" (e.g. in a formatted struct).
func Redact(s string) string {
	s = urlcred.RedactText(s)
	if !strings.ContainsAny(s, ":=") {
		return s
	}
	return secretFieldRE.ReplaceAllString(s, "${1}"+Redacted)
}

// secretKeys are attribute keys whose values are never logged.
var secretKeys = map[string]bool{"password": true, "passwd": true, "pass": true, "secret": true,
	"token": true, "credentials": true, "authorization": true}

// Redactor is a slog.Handler that redacts credentials in the message and
// in every attribute (strings, errors, Stringers, groups) before handing
// the record to the next handler. Values of attributes named password,
// secret, token and the like are replaced whole.
type Redactor struct{ next slog.Handler }

// NewRedactor wraps next.
func NewRedactor(next slog.Handler) *Redactor { return &Redactor{next: next} }

// Enabled reports whether next handles level.
func (r *Redactor) Enabled(ctx context.Context, l slog.Level) bool { return r.next.Enabled(ctx, l) }

// Handle redacts the record and passes it on.
func (r *Redactor) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

// WithAttrs redacts attrs and returns a handler that adds them.
func (r *Redactor) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return &Redactor{next: r.next.WithAttrs(red)}
}

// WithGroup returns a handler that opens group name.
func (r *Redactor) WithGroup(name string) slog.Handler {
	return &Redactor{next: r.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	if secretKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, ga := range g {
			red[i] = redactAttr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, Redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, Redact(x.String()))
		case []byte:
			return slog.String(a.Key, Redact(string(x)))
		default:
			// Structs and maps: format them, then redact the text, so a
			// URL inside a config struct cannot slip through.
			return slog.String(a.Key, Redact(fmt.Sprintf("%+v", x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
