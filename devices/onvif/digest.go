package onvif

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// digestChallenge is a parsed "WWW-Authenticate: Digest ..." header
// (RFC 7616; MD5 and SHA-256, qop auth or none).
type digestChallenge struct {
	realm, nonce, opaque, algorithm, qop string

	mu sync.Mutex
	nc int
}

// parseDigestChallenge returns nil when header is not a Digest challenge.
func parseDigestChallenge(header string) *digestChallenge {
	h := strings.TrimSpace(header)
	if len(h) < 7 || !strings.EqualFold(h[:7], "digest ") {
		return nil
	}
	params := parseAuthParams(h[7:])
	c := &digestChallenge{
		realm: params["realm"], nonce: params["nonce"], opaque: params["opaque"],
		algorithm: params["algorithm"],
	}
	for _, q := range strings.Split(params["qop"], ",") {
		if strings.TrimSpace(q) == "auth" {
			c.qop = "auth"
		}
	}
	if c.nonce == "" {
		return nil
	}
	return c
}

// parseAuthParams splits k=v, k="v, with comma", ... pairs.
func parseAuthParams(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,\t")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end > len(s) {
				end = len(s)
			}
			val = strings.ReplaceAll(s[1:end], `\"`, `"`)
			if end < len(s) {
				end++
			}
			s = s[end:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		out[key] = val
	}
	return out
}

// authorization computes the Authorization header for one request.
func (c *digestChallenge) authorization(method, uri, user, password string) string {
	c.mu.Lock()
	c.nc++
	nc := fmt.Sprintf("%08x", c.nc)
	c.mu.Unlock()
	cb := make([]byte, 8)
	_, _ = rand.Read(cb)
	cnonce := hex.EncodeToString(cb)
	resp := c.response(method, uri, user, password, nc, cnonce)

	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q`, user, c.realm, c.nonce, uri, resp)
	if c.algorithm != "" {
		fmt.Fprintf(&b, `, algorithm=%s`, c.algorithm)
	}
	if c.opaque != "" {
		fmt.Fprintf(&b, `, opaque=%q`, c.opaque)
	}
	if c.qop == "auth" {
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce=%q`, nc, cnonce)
	}
	return b.String()
}

// response is the RFC 7616 request-digest.
func (c *digestChallenge) response(method, uri, user, password, nc, cnonce string) string {
	var newHash func() hash.Hash = md5.New
	alg := strings.ToUpper(c.algorithm)
	if alg == "SHA-256" || alg == "SHA-256-SESS" {
		newHash = sha256.New
	}
	hx := func(s string) string {
		h := newHash()
		h.Write([]byte(s))
		return hex.EncodeToString(h.Sum(nil))
	}
	ha1 := hx(user + ":" + c.realm + ":" + password)
	if strings.HasSuffix(alg, "-SESS") {
		ha1 = hx(ha1 + ":" + c.nonce + ":" + cnonce)
	}
	ha2 := hx(method + ":" + uri)
	if c.qop == "auth" {
		return hx(ha1 + ":" + c.nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	}
	return hx(ha1 + ":" + c.nonce + ":" + ha2)
}
