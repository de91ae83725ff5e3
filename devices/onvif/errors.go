package onvif

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAuth is matched (errors.Is) by every error that means the device
// refused the credentials: a SOAP fault with subcode ter:NotAuthorized or
// wsse:FailedAuthentication, or HTTP 401 after HTTP Digest was tried.
var ErrAuth = errors.New("onvif: not authorized (wrong user or password)")

// ErrNotSOAP is matched by errors for responses that are not a SOAP
// envelope at all (an HTML page, plain text, garbage): the address is most
// likely not an ONVIF service.
var ErrNotSOAP = errors.New("onvif: response is not a SOAP envelope")

// ErrTooLarge is matched when a response body exceeds the size limit.
var ErrTooLarge = errors.New("onvif: response too large")

// SOAPFault is a SOAP 1.2 (or 1.1) fault returned by the device.
type SOAPFault struct {
	// Operation is the request that failed, e.g. "GetProfiles".
	Operation string
	// HTTPStatus is the HTTP status code the fault came with.
	HTTPStatus int
	// Code is the fault code, e.g. "s:Sender" or "SOAP-ENV:Receiver".
	Code string
	// Subcodes are the nested subcode values, outermost first, e.g.
	// ["ter:NotAuthorized"].
	Subcodes []string
	// Reason is the human-readable fault text.
	Reason string
}

// Error describes the fault with its operation, codes and reason.
func (f *SOAPFault) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "onvif %s: SOAP fault %s", f.Operation, f.Code)
	for _, s := range f.Subcodes {
		b.WriteString("/" + s)
	}
	if f.Reason != "" {
		fmt.Fprintf(&b, ": %q", f.Reason)
	}
	if f.HTTPStatus != 0 && f.HTTPStatus != 200 {
		fmt.Fprintf(&b, " (HTTP %d)", f.HTTPStatus)
	}
	return b.String()
}

// Is reports whether the fault is an authentication failure (ErrAuth).
func (f *SOAPFault) Is(target error) bool {
	return target == ErrAuth && f.isAuth()
}

// HasSubcode reports whether any subcode has the given local name (the part
// after the namespace prefix), e.g. "ActionNotSupported".
func (f *SOAPFault) HasSubcode(local string) bool {
	for _, s := range f.Subcodes {
		if strings.EqualFold(localPart(s), local) {
			return true
		}
	}
	return false
}

func (f *SOAPFault) isAuth() bool {
	for _, s := range []string{"NotAuthorized", "FailedAuthentication", "InvalidSecurityToken", "InvalidSecurity"} {
		if f.HasSubcode(s) || strings.EqualFold(localPart(f.Code), s) {
			return true
		}
	}
	r := strings.ToLower(f.Reason)
	return strings.Contains(r, "not authorized") || strings.Contains(r, "authentication fail")
}

// HTTPError is a non-200 HTTP answer that carried no SOAP fault.
type HTTPError struct {
	// Operation is the request that failed.
	Operation string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Snippet is the start of the body (at most 200 bytes, printable).
	Snippet string
}

// Error names the operation and the status.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("onvif %s: HTTP %d", e.Operation, e.StatusCode)
	if e.StatusCode == 401 {
		s += " unauthorized"
	}
	if e.Snippet != "" {
		s += fmt.Sprintf(" (body %q)", e.Snippet)
	}
	return s
}

// Is reports HTTP 401 as ErrAuth.
func (e *HTTPError) Is(target error) bool {
	return target == ErrAuth && e.StatusCode == 401
}

func localPart(qname string) string {
	if i := strings.LastIndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}

func snippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	s := strings.Map(func(r rune) rune {
		if r < 32 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
	return strings.TrimSpace(s)
}
