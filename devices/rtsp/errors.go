package rtsp

import (
	"errors"
	"fmt"
	"github.com/pantau/pantau/devices/urlcred"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
)

// Error classes. Every error Run returns wraps at most one of them; test
// with errors.Is. An error that wraps none is a protocol or configuration
// problem worth showing to a human as is.
var (
	// ErrAuth: the camera refused the credentials (401/403), or wants
	// credentials and the URL has none. Retrying soon will not help and
	// may lock the account.
	ErrAuth = errors.New("authentication failed")
	// ErrConnect: the TCP connection could not be made (refused,
	// unreachable, DNS, connect timeout).
	ErrConnect = errors.New("cannot connect")
	// ErrTimeout: the camera stopped answering or stopped sending within
	// the read timeout, or the handshake took longer than DialTimeout.
	ErrTimeout = errors.New("timed out")
	// ErrNotFound: the camera has no stream at that path (404).
	ErrNotFound = errors.New("stream not found")
	// ErrNoVideo: the stream has no H.264 or H.265 track.
	ErrNoVideo = errors.New("no H.264 or H.265 video track")
	// ErrClosed: the camera closed the connection or ended the session.
	ErrClosed = errors.New("stream closed by the server")
)

// streamError is an error whose message has been scrubbed of credentials
// and which keeps its class and cause for errors.Is and errors.As.
type streamError struct {
	msg    string
	causes []error
}

func (e *streamError) Error() string   { return e.msg }
func (e *streamError) Unwrap() []error { return e.causes }

// dialError marks errors of the TCP connect, which gortsplib returns as is.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// handshakeTimeout is the cause when DialTimeout expires mid-handshake.
var errHandshakeTimeout = errors.New("handshake not finished in time")

// newError builds the error Run returns: "rtsp URL: what: cause", with
// class (may be nil) and cause kept for errors.Is, and every form of the
// URL's credentials removed from the text.
func (c *Client) newError(class error, what string, cause error) error {
	msg := "rtsp " + urlcred.Redact(c.cfg.URL) + ": " + what
	causes := make([]error, 0, 2)
	if class != nil {
		causes = append(causes, class)
	}
	if cause != nil {
		msg += ": " + cause.Error()
		causes = append(causes, cause)
	}
	return &streamError{msg: urlcred.Scrub(msg, c.cfg.URL), causes: causes}
}

// classify turns an error from gortsplib into one of ours. stage names
// what the client was doing ("describe", "setup", "play", "read").
func (c *Client) classify(stage string, err error) error {
	var (
		dial   *dialError
		status liberrors.ErrClientBadStatusCode
		setup  liberrors.ErrClientAuthSetup
	)
	switch {
	case errors.Is(err, errHandshakeTimeout):
		return c.newError(ErrTimeout, fmt.Sprintf("%s: no answer within %s", stage, c.cfg.DialTimeout), nil)
	case errors.As(err, &dial):
		what := "cannot connect"
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			what = "connection refused"
		case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
			what = "host unreachable"
		case isTimeout(err):
			what = fmt.Sprintf("connect timed out after %s", c.cfg.DialTimeout)
		}
		return c.newError(ErrConnect, what, dial.err)
	case errors.As(err, &status):
		switch status.Code {
		case 401, 403:
			what := "wrong credentials"
			if !strings.Contains(c.cfg.URL, "@") {
				what = "credentials required, the URL has none"
			}
			return c.newError(ErrAuth, fmt.Sprintf("%s: %s", stage, what), err)
		case 404:
			return c.newError(ErrNotFound, stage, err)
		}
		return c.newError(nil, stage, err)
	case errors.As(err, &setup):
		return c.newError(ErrAuth, stage+": unsupported authentication", err)
	case isErr[liberrors.ErrClientTCPTimeout](err), isErr[liberrors.ErrClientUDPTimeout](err):
		return c.newError(ErrTimeout, fmt.Sprintf("no data for %s", c.cfg.ReadTimeout), err)
	case isErr[liberrors.ErrClientRequestTimedOut](err):
		return c.newError(ErrTimeout, fmt.Sprintf("%s: no answer within %s", stage, c.cfg.ReadTimeout), err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.EPIPE), isErr[liberrors.ErrClientTerminated](err):
		return c.newError(ErrClosed, stage+": connection closed by the camera", err)
	}
	return c.newError(nil, stage, err)
}

// isErr reports whether err wraps a value of error type T.
func isErr[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
