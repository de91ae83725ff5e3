//go:build unix

package onvif

import (
	"net"
	"syscall"
)

// multicastIf sets IP_MULTICAST_IF so probes leave through the interface
// owning ip rather than the one the routing table prefers.
func multicastIf(ip net.IP) func(string, string, syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		var a [4]byte
		copy(a[:], ip.To4())
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInet4Addr(int(fd), syscall.IPPROTO_IP, syscall.IP_MULTICAST_IF, a)
		})
		if err != nil {
			return err
		}
		return serr
	}
}
