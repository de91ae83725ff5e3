package onvif

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// XML namespaces of the services this package talks to.
const (
	NSSOAP   = "http://www.w3.org/2003/05/soap-envelope"
	NSDevice = "http://www.onvif.org/ver10/device/wsdl"
	NSMedia  = "http://www.onvif.org/ver10/media/wsdl"
	NSMedia2 = "http://www.onvif.org/ver20/media/wsdl"
	NSSchema = "http://www.onvif.org/ver10/schema"
	nsWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	// PasswordDigestType is the wsse:Password Type of a digest token.
	PasswordDigestType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
	nonceEncoding      = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// buildEnvelope wraps body (already-marshalled XML using the prefixes tds,
// trt, tr2, tt and onvif) in a SOAP 1.2 envelope, with a WS-UsernameToken
// header when user is not empty. created is the device's idea of "now".
func buildEnvelope(body []byte, user, password string, created time.Time) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<s:Envelope xmlns:s="` + NSSOAP + `" xmlns:tds="` + NSDevice + `" xmlns:trt="` + NSMedia +
		`" xmlns:tr2="` + NSMedia2 + `" xmlns:tt="` + NSSchema + `" xmlns:onvif="` + NSSchema + `">`)
	if user != "" {
		nonce := make([]byte, 16)
		_, _ = rand.Read(nonce)
		ts := created.UTC().Format("2006-01-02T15:04:05.000Z")
		b.WriteString(`<s:Header><wsse:Security s:mustUnderstand="1" xmlns:wsse="` + nsWSSE + `" xmlns:wsu="` + nsWSU + `">`)
		b.WriteString(`<wsse:UsernameToken><wsse:Username>`)
		xml.EscapeText(&b, []byte(user))
		b.WriteString(`</wsse:Username><wsse:Password Type="` + PasswordDigestType + `">`)
		b.WriteString(PasswordDigest(nonce, ts, password))
		b.WriteString(`</wsse:Password><wsse:Nonce EncodingType="` + nonceEncoding + `">`)
		b.WriteString(base64.StdEncoding.EncodeToString(nonce))
		b.WriteString(`</wsse:Nonce><wsu:Created>` + ts + `</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>`)
	}
	b.WriteString(`<s:Body>`)
	b.Write(body)
	b.WriteString(`</s:Body></s:Envelope>`)
	return b.Bytes()
}

// PasswordDigest computes the WS-UsernameToken digest
// Base64(SHA1(nonce + created + password)) where nonce is the raw
// (decoded) nonce and created the exact wsu:Created text.
func PasswordDigest(nonce []byte, created, password string) string {
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(created))
	h.Write([]byte(password))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// xmlFault is a SOAP 1.2 fault, with the SOAP 1.1 fields as fallback.
type xmlFault struct {
	Code struct {
		Value   string `xml:"Value"`
		Subcode *xmlSubcode
	} `xml:"Code"`
	Reason struct {
		Text []string `xml:"Text"`
	} `xml:"Reason"`
	FaultCode   string `xml:"faultcode"`
	FaultString string `xml:"faultstring"`
}

type xmlSubcode struct {
	Value   string `xml:"Value"`
	Subcode *xmlSubcode
}

func (x *xmlFault) toFault(op string, status int) *SOAPFault {
	f := &SOAPFault{Operation: op, HTTPStatus: status, Code: strings.TrimSpace(x.Code.Value)}
	for s, n := x.Code.Subcode, 0; s != nil && n < 8; s, n = s.Subcode, n+1 {
		f.Subcodes = append(f.Subcodes, strings.TrimSpace(s.Value))
	}
	if len(x.Reason.Text) > 0 {
		f.Reason = strings.TrimSpace(x.Reason.Text[0])
	}
	if f.Code == "" {
		f.Code = strings.TrimSpace(x.FaultCode)
	}
	if f.Reason == "" {
		f.Reason = strings.TrimSpace(x.FaultString)
	}
	return f
}

// DecodeResponse parses a SOAP envelope and decodes the first element of its
// Body into v when its local name is want (e.g. "GetProfilesResponse").
// A Fault in the body is returned as *SOAPFault; anything that is not a
// SOAP envelope wraps ErrNotSOAP. op names the operation in errors.
func DecodeResponse(data []byte, op, want string, v any) error {
	return decodeResponse(data, op, want, 200, v)
}

func decodeResponse(data []byte, op, want string, status int, v any) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = passThroughCharset
	depth := 0
	inBody := false
	sawEnvelope := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !sawEnvelope {
				return fmt.Errorf("onvif %s: %w (no Envelope element; body starts %q)", op, ErrNotSOAP, snippet(data))
			}
			return fmt.Errorf("onvif %s: %w: empty Body", op, ErrNotSOAP)
		}
		if err != nil {
			if !sawEnvelope {
				return fmt.Errorf("onvif %s: %w: %v (body starts %q)", op, ErrNotSOAP, err, snippet(data))
			}
			return fmt.Errorf("onvif %s: malformed XML: %w", op, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				if t.Name.Local != "Envelope" {
					return fmt.Errorf("onvif %s: %w (root element is <%s>)", op, ErrNotSOAP, t.Name.Local)
				}
				sawEnvelope = true
			case depth == 2 && t.Name.Local == "Body":
				inBody = true
			case depth == 3 && inBody:
				if t.Name.Local == "Fault" {
					var xf xmlFault
					if err := d.DecodeElement(&xf, &t); err != nil {
						return fmt.Errorf("onvif %s: malformed SOAP fault: %w", op, err)
					}
					return xf.toFault(op, status)
				}
				if t.Name.Local != want {
					return fmt.Errorf("onvif %s: unexpected response element <%s>, want <%s>", op, t.Name.Local, want)
				}
				if v == nil {
					return nil
				}
				if err := d.DecodeElement(v, &t); err != nil {
					return fmt.Errorf("onvif %s: malformed %s: %w", op, want, err)
				}
				return nil
			}
		case xml.EndElement:
			depth--
			if depth == 1 && inBody {
				return fmt.Errorf("onvif %s: %w: empty Body", op, ErrNotSOAP)
			}
		}
	}
}

// passThroughCharset accepts the single-byte charsets some cameras declare
// (their content is ASCII in practice) instead of failing the whole parse.
func passThroughCharset(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "us-ascii", "ascii", "utf8":
		return input, nil
	}
	return nil, errors.New("unsupported charset " + charset)
}
