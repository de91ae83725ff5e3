package onvifsim

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pantau/pantau/devices/onvif"
)

// request is the part of a SOAP request the simulator looks at.
type request struct {
	ns, op       string
	user, digest string
	nonce        []byte
	created      string
	profileToken string
	host         string // host:port to put in XAddrs
}

func parseRequest(body []byte) (*request, error) {
	var env struct {
		Header struct {
			Security struct {
				UsernameToken struct {
					Username string `xml:"Username"`
					Password string `xml:"Password"`
					Nonce    string `xml:"Nonce"`
					Created  string `xml:"Created"`
				} `xml:"UsernameToken"`
			} `xml:"Security"`
		} `xml:"Header"`
		Body struct {
			Op struct {
				XMLName      xml.Name
				ProfileToken string `xml:"ProfileToken"`
			} `xml:",any"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	if env.Body.Op.XMLName.Local == "" {
		return nil, errors.New("empty SOAP Body")
	}
	ut := env.Header.Security.UsernameToken
	nonce, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(ut.Nonce))
	return &request{
		ns: env.Body.Op.XMLName.Space, op: env.Body.Op.XMLName.Local,
		user: strings.TrimSpace(ut.Username), digest: strings.TrimSpace(ut.Password),
		nonce: nonce, created: strings.TrimSpace(ut.Created),
		profileToken: strings.TrimSpace(env.Body.Op.ProfileToken),
	}, nil
}

func service(ns string) string {
	switch ns {
	case onvif.NSDevice:
		return "device_management"
	case onvif.NSMedia:
		return "media1"
	case onvif.NSMedia2:
		return "media2"
	}
	return ""
}

func (s *Server) serveSOAP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "ONVIF expects POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	req, err := parseRequest(body)
	if err != nil {
		writeFault(w, http.StatusBadRequest, "Sender", "ter:WellFormed", "malformed request: "+err.Error())
		return
	}
	svc := service(req.ns)
	req.host = s.advHost
	if s.wildcard && r.Host != "" {
		req.host = r.Host
	}
	s.mu.Lock()
	s.requests[svc+"/"+req.op]++
	s.mu.Unlock()
	if svc == "" {
		writeFault(w, http.StatusInternalServerError, "Receiver", "ter:ActionNotSupported", "unknown service "+req.ns)
		return
	}
	if s.cfg.User != "" && req.op != "GetSystemDateAndTime" {
		if s.cfg.HTTPDigest {
			if !s.checkHTTPDigest(r) {
				w.Header().Set("WWW-Authenticate", `Digest realm="onvifsim", qop="auth", nonce="`+s.cfg.UUID+`", algorithm=MD5`)
				http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
				return
			}
		} else if why := s.checkToken(req); why != "" {
			writeFault(w, http.StatusBadRequest, "Sender", "ter:NotAuthorized", "Sender not Authorized: "+why)
			return
		}
	}
	var resp []byte
	if s.cfg.Captures != "" {
		resp = s.replay(svc, req)
	} else {
		resp = s.own(svc, req)
	}
	if resp == nil {
		writeFault(w, http.StatusInternalServerError, "Receiver", "ter:ActionNotSupported", "Optional Action Not Implemented")
		return
	}
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	_, _ = w.Write(resp)
}

// checkToken returns why a WS-UsernameToken is refused, "" if accepted.
func (s *Server) checkToken(req *request) string {
	if req.user == "" {
		return "no UsernameToken"
	}
	if req.user != s.cfg.User {
		return "unknown user"
	}
	created, err := time.Parse(time.RFC3339Nano, req.created)
	if err != nil {
		return "bad Created"
	}
	// Real cameras reject tokens dated far from their own clock.
	if d := created.Sub(s.now()); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Sprintf("Created is %s off the camera clock", d.Round(time.Second))
	}
	if onvif.PasswordDigest(req.nonce, req.created, s.cfg.Password) != req.digest {
		return "wrong password digest"
	}
	return ""
}

func (s *Server) checkHTTPDigest(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		return false
	}
	p := map[string]string{}
	for _, kv := range strings.Split(h[len("Digest "):], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok {
			p[k] = strings.Trim(v, `"`)
		}
	}
	if p["username"] != s.cfg.User || p["nonce"] != s.cfg.UUID {
		return false
	}
	hx := func(v string) string { h := md5.Sum([]byte(v)); return hex.EncodeToString(h[:]) }
	ha1 := hx(s.cfg.User + ":onvifsim:" + s.cfg.Password)
	ha2 := hx(r.Method + ":" + p["uri"])
	want := hx(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2)
	return p["response"] == want
}

const envOpen = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
	`xmlns:ter="http://www.onvif.org/ver10/error" xmlns:tt="http://www.onvif.org/ver10/schema" ` +
	`xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ` +
	`xmlns:tr2="http://www.onvif.org/ver20/media/wsdl"><s:Body>`
const envClose = `</s:Body></s:Envelope>`

func writeFault(w http.ResponseWriter, status int, code, subcode, reason string) {
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, envOpen+`<s:Fault><s:Code><s:Value>s:`+code+`</s:Value><s:Subcode><s:Value>`+subcode+
		`</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">`+esc(reason)+`</s:Text></s:Reason></s:Fault>`+envClose)
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
