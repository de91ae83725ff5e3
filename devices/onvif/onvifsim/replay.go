package onvifsim

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	xaddrRe = regexp.MustCompile(`(<(?:[\w.-]+:)?XAddr>)\s*https?://[^/<\s]+`)
	rtspRe  = regexp.MustCompile(`(<(?:[\w.-]+:)?Uri>)\s*rtsp://[^<]*`)
	opRe    = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// replay returns the captured response for svc/op, rewritten, or nil.
func (s *Server) replay(svc string, req *request) []byte {
	if req.op == "GetSystemDateAndTime" {
		// Serve the captured clock advancing in real time, so the client's
		// offset correction is tested against a clock years off.
		return s.dateTime()
	}
	if !opRe.MatchString(req.op) {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.Captures, svc, req.op+"Response.xml"))
	if err != nil {
		return nil
	}
	out := string(b)
	if s.cfg.RTSPURL != "" {
		out = rtspRe.ReplaceAllString(out, "${1}"+strings.ReplaceAll(esc(s.streamURI("", req.host)), "$", "$$"))
	}
	out = xaddrRe.ReplaceAllString(out, "${1}http://"+req.host)
	return []byte(out)
}

func (s *Server) dateTime() []byte {
	t := s.now()
	return []byte(fmt.Sprintf(envOpen+`<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>`+
		`<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>`+
		`<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>`+
		`<tt:Time><tt:Hour>%d</tt:Hour><tt:Minute>%d</tt:Minute><tt:Second>%d</tt:Second></tt:Time>`+
		`<tt:Date><tt:Year>%d</tt:Year><tt:Month>%d</tt:Month><tt:Day>%d</tt:Day></tt:Date>`+
		`</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`+envClose,
		t.Hour(), t.Minute(), t.Second(), t.Year(), int(t.Month()), t.Day()))
}
