//go:build unix

package onvifsim

import "syscall"

// reuseAddr lets several simulators (and a multicast listener) share the
// WS-Discovery port on one host.
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
