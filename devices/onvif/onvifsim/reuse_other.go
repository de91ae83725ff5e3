//go:build !unix

package onvifsim

import "syscall"

func reuseAddr(_, _ string, _ syscall.RawConn) error { return nil }
