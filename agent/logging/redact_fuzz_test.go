package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

// FuzzNoPasswordInLogLines: a camera URL with any password (printable, no
// space or quote: free text cannot tell where such a password ends), put
// (nor , } ]: a struct field has no other end) raw or escaped into a log message, a string attribute, an error and a
// struct, never reaches the log output.
func FuzzNoPasswordInLogLines(f *testing.F) {
	for _, p := range []string{"p@ss@w0rd", "a:b/c#d?e", "100%sure", "p%40ss", "hunter22"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pass string) {
		if len(pass) < 4 || strings.ContainsAny(pass, " \t\r\n\"'<>`\\,}]") || strings.Contains("rtsp://admin@10.0.0.7/live/1xxxxx", pass) {
			return
		}
		for _, r := range pass {
			if r < 0x21 || r > 0x7e {
				return
			}
		}
		for _, raw := range []string{
			"rtsp://admin:" + pass + "@10.0.0.7/live/1",
			"rtsp://" + url.UserPassword("admin", pass).String() + "@10.0.0.7/live/1",
		} {
			var buf bytes.Buffer
			log := slog.New(NewRedactor(slog.NewTextHandler(&buf, nil)))
			log.Warn("dial "+raw+" failed", "url", raw, "err", errors.New("connect "+raw+": refused"),
				"camera", struct{ URL, Password string }{raw, pass}, "password", pass)
			log.With("stream", raw).Info("retry")
			out := buf.String()
			esc := url.QueryEscape(pass)
			if strings.Contains(out, pass) || strings.Contains(out, esc) || strings.Contains(out, fmt.Sprintf("%q", pass)) {
				t.Fatalf("password %q in log output:\n%s", pass, out)
			}
		}
	})
}
