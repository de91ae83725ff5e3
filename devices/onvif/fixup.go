package onvif

import (
	"net"
	"net/url"
	"strings"
)

// FixHost corrects an address a device reported about itself (an XAddr, a
// stream or snapshot URI) using the host it was actually reached at
// (reached: "host" or "host:port"). Devices behind NAT, with several
// interfaces or with a bad configuration report 0.0.0.0, a loopback
// address, or a private address other than the one that answered. Such a
// host is replaced by the reached one; public addresses and host names are
// kept, as are addresses equal to the reached one.
//
// samePort=true also replaces the port with the reached port (for the
// device's own HTTP services, which live on the server we reached);
// otherwise the reported port is kept (RTSP, snapshot servers).
// Unparsable input is returned trimmed but otherwise unchanged.
func FixHost(raw, reached string, samePort bool) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || reached == "" {
		return raw
	}
	rHost, rPort, err := net.SplitHostPort(reached)
	if err != nil {
		rHost, rPort = strings.Trim(reached, "[]"), ""
	}
	if !needsFix(u.Hostname(), rHost) {
		return raw
	}
	port := u.Port()
	if samePort && rPort != "" {
		port = rPort
	}
	if port == "" {
		u.Host = bracket(rHost)
	} else {
		u.Host = net.JoinHostPort(rHost, port)
	}
	return u.String()
}

func bracket(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// needsFix reports whether reported must be replaced by reached.
func needsFix(reported, reached string) bool {
	ip := net.ParseIP(reported)
	if ip == nil {
		return false // a host name: trust it
	}
	if ip.IsUnspecified() {
		return true
	}
	if rip := net.ParseIP(reached); rip != nil && rip.Equal(ip) {
		return false
	}
	if reported == reached {
		return false
	}
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()
}

// hostOf returns the host[:port] of a URL, or "" when it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
