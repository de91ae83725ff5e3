package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "camera", "cam1")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON line: %q: %v", buf.String(), err)
	}
	if rec["msg"] != "shown" || rec["camera"] != "cam1" || rec["level"] != "WARN" {
		t.Errorf("record = %v", rec)
	}
	for _, bad := range [][2]string{{"loud", "text"}, {"info", "xml"}} {
		if _, err := New(&buf, bad[0], bad[1]); err == nil {
			t.Errorf("New(%q, %q) = nil error", bad[0], bad[1])
		}
	}
	buf.Reset()
	lv := new(slog.LevelVar)
	h, err := NewHandler(&buf, lv, "text")
	if err != nil {
		t.Fatal(err)
	}
	slog.New(h).Debug("a")
	lv.Set(slog.LevelDebug)
	slog.New(h).Debug("b")
	if strings.Contains(buf.String(), "msg=a") || !strings.Contains(buf.String(), "msg=b") {
		t.Errorf("level var not honoured: %q", buf.String())
	}
}

type cam struct {
	Name     string
	URL      string
	Password string
}

type urlStringer struct{ u string }

func (s urlStringer) String() string { return s.u }

// TestRedaction logs secrets every way the agent might and checks none
// reaches the output, in both formats.
func TestRedaction(t *testing.T) {
	secrets := []string{"hunter2", "s3cr3t", "qwerty", "tok123", "admin9"}
	u, _ := url.Parse("rtsps://admin9:qwerty@10.1.1.5/live")
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log, err := New(&buf, "debug", format)
		if err != nil {
			t.Fatal(err)
		}
		log = log.With("source", "rtsp://root:hunter2@10.0.0.9:554/s1")
		log.Info("connecting to rtsp://admin:hunter2@10.0.0.9/stream failed")
		log.Warn("dial", "url", "rtsp://u:s3cr3t@cam/x", "err", errors.New(`dial "rtsp://u:s3cr3t@cam/x": refused`))
		log.Info("camera", "cfg", cam{Name: "gate", URL: "rtsp://cam/x?user=admin9&password=qwerty", Password: "hunter2"})
		log.Info("url", "u", u, "s", urlStringer{"http://a:tok123@b/"}, "password", "qwerty", "token", "tok123")
		log.WithGroup("mqtt").Info("broker", slog.Group("auth", "pass", "s3cr3t", "url", "tcp://x:tok123@b:1883"))
		log.Info(fmt.Sprintf("config %+v", map[string]string{"password": "s3cr3t"}))
		out := buf.String()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains %q:\n%s", format, s, out)
			}
		}
		for _, keep := range []string{"10.0.0.9:554/s1", "cam/x", "gate", "10.1.1.5/live", "xxxxx"} {
			if !strings.Contains(out, keep) {
				t.Errorf("%s output lost %q:\n%s", format, keep, out)
			}
		}
	}
}

func TestSummariser(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "text")
	s := NewSummariser(log, 10*time.Second)
	drops := s.Counter("dropped %d frames in the last %s", "camera", "cam1")
	errs := s.Counter("%d corrupt NAL units", "camera", "cam2")
	quiet := s.Counter("never %d")
	for i := 0; i < 312; i++ {
		drops.Inc()
	}
	errs.Add(3)
	if buf.Len() != 0 {
		t.Fatalf("Add logged before a flush: %q", buf.String())
	}
	s.Flush()
	out := buf.String()
	if !strings.Contains(out, `msg="dropped 312 frames in the last 10s" camera=cam1 count=312`) ||
		!strings.Contains(out, `msg="3 corrupt NAL units" camera=cam2 count=3`) || strings.Contains(out, "never") {
		t.Errorf("first flush:\n%s", out)
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("first flush wrote %d lines, want 2", n)
	}
	buf.Reset()
	s.Flush()
	if buf.Len() != 0 {
		t.Errorf("second flush with nothing new logged %q", buf.String())
	}
	drops.Add(5)
	drops.Remove()
	drops.Add(7) // after Remove: never logged
	s.Flush()
	if out := buf.String(); !strings.Contains(out, "dropped 5 frames") || strings.Contains(out, "dropped 7") {
		t.Errorf("after Remove: %q", out)
	}
	_ = quiet

	// Run flushes on cancel.
	buf.Reset()
	errs.Add(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "1 corrupt NAL units") {
		t.Errorf("Run did not flush on cancel: %q", buf.String())
	}
}
