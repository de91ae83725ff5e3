//go:build !unix

package onvif

import (
	"net"
	"syscall"
)

// multicastIf is a no-op where IP_MULTICAST_IF is not set: the socket is
// bound to the interface address, which most stacks use to pick the route.
func multicastIf(net.IP) func(string, string, syscall.RawConn) error {
	return nil
}
