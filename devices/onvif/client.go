package onvif

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Default limits of a Client.
const (
	DefaultTimeout = 5 * time.Second
	DefaultMaxBody = 4 << 20
)

// Client talks SOAP to one ONVIF device. Its zero value is not usable:
// set URL. A Client may be used from several goroutines.
type Client struct {
	// URL is the device service address, e.g.
	// http://192.0.2.10/onvif/device_service.
	URL string
	// User and Password are sent as a WS-UsernameToken PasswordDigest, and
	// as HTTP Digest when the device answers 401 with a Digest challenge.
	// An empty User sends no credentials.
	User, Password string
	// HTTP is the client used for requests. It defaults to a client with
	// a dial timeout and no redirects followed.
	HTTP *http.Client
	// Timeout bounds each request (on top of the caller's context). It
	// defaults to 5 seconds.
	Timeout time.Duration
	// MaxBody is the largest response body accepted, in bytes. It
	// defaults to 4 MiB.
	MaxBody int64

	mu     sync.Mutex
	offset time.Duration    // device clock minus local clock
	digest *digestChallenge // last HTTP Digest challenge, reused
}

var defaultHTTP = &http.Client{
	Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// ClockOffset returns the device clock minus the local clock as measured by
// the last SyncClock, used to date WS-UsernameTokens.
func (c *Client) ClockOffset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// SetClockOffset sets the correction added to local time when dating
// WS-UsernameTokens.
func (c *Client) SetClockOffset(d time.Duration) {
	c.mu.Lock()
	c.offset = d
	c.mu.Unlock()
}

// Call sends one SOAP request (body: the operation element, using prefixes
// tds, trt, tr2, tt) to endpoint (empty means c.URL) and returns the
// response envelope once it is known to be a SOAP envelope whose body is
// op+"Response"; a fault, an HTTP error, a non-SOAP answer, an oversized
// body or a timeout is an error. auth=false sends no credentials
// (GetSystemDateAndTime must work without). ns is the service namespace;
// the SOAP action is ns + "/" + op.
func (c *Client) Call(ctx context.Context, endpoint, ns, op string, body []byte, auth bool) ([]byte, error) {
	if endpoint == "" {
		endpoint = c.URL
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("onvif %s: bad service address %q", op, endpoint)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	user := ""
	if auth {
		user = c.User
	}
	status, data, hdr, err := c.post(ctx, u, ns+"/"+op, op, body, user, nil)
	if err != nil {
		return nil, err
	}
	if status == http.StatusUnauthorized && user != "" {
		if ch := parseDigestChallenge(hdr.Get("WWW-Authenticate")); ch != nil {
			c.mu.Lock()
			c.digest = ch
			c.mu.Unlock()
			status, data, _, err = c.post(ctx, u, ns+"/"+op, op, body, user, ch)
			if err != nil {
				return nil, err
			}
		}
	}
	if status != http.StatusOK {
		// Many cameras answer faults with 400 or 500 and a SOAP body.
		err := decodeResponse(data, op, op+"Response", status, nil)
		var f *SOAPFault
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, &HTTPError{Operation: op, StatusCode: status, Snippet: snippet(data)}
	}
	if err := decodeResponse(data, op, op+"Response", status, nil); err != nil {
		return nil, err
	}
	return data, nil
}

func (c *Client) post(ctx context.Context, u *url.URL, action, op string, body []byte, user string, ch *digestChallenge) (int, []byte, http.Header, error) {
	if ch == nil && user != "" {
		c.mu.Lock()
		ch = c.digest
		c.mu.Unlock()
	}
	created := time.Now().Add(c.ClockOffset())
	env := buildEnvelope(body, user, c.Password, created)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(env))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("onvif %s: %w", op, err)
	}
	req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+action+`"`)
	if ch != nil && user != "" {
		req.Header.Set("Authorization", ch.authorization(http.MethodPost, u.RequestURI(), user, c.Password))
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return 0, nil, nil, fmt.Errorf("onvif %s: %s did not answer in time: %w", op, u.Host, ctx.Err())
		}
		return 0, nil, nil, fmt.Errorf("onvif %s: %w", op, err)
	}
	defer resp.Body.Close()
	max := c.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return 0, nil, nil, fmt.Errorf("onvif %s: reading response from %s timed out: %w", op, u.Host, ctx.Err())
		}
		return 0, nil, nil, fmt.Errorf("onvif %s: reading response: %w", op, err)
	}
	if int64(len(data)) > max {
		return 0, nil, nil, fmt.Errorf("onvif %s: %w: more than %d bytes from %s", op, ErrTooLarge, max, u.Host)
	}
	return resp.StatusCode, data, resp.Header, nil
}
