package onvif

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// ifaceAddr is an interface to probe on and its IPv4 address.
type ifaceAddr struct {
	name  string
	index int
	ip    net.IP
}

// multicastInterfaces returns the named interfaces (each must be up,
// multicast-capable and have IPv4), or all such interfaces when names is
// empty.
func multicastInterfaces(names []string) ([]ifaceAddr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("onvif discover: listing interfaces: %w", err)
	}
	byName := map[string]net.Interface{}
	for _, ifi := range ifs {
		byName[ifi.Name] = ifi
	}
	var out []ifaceAddr
	if len(names) > 0 {
		for _, n := range names {
			ifi, ok := byName[n]
			if !ok {
				return nil, fmt.Errorf("onvif discover: no interface %q", n)
			}
			ia, why := usable(ifi)
			if why != "" {
				return nil, fmt.Errorf("onvif discover: interface %s: %s", n, why)
			}
			out = append(out, ia)
		}
		return out, nil
	}
	for _, ifi := range ifs {
		if ia, why := usable(ifi); why == "" {
			out = append(out, ia)
		}
	}
	return out, nil
}

func usable(ifi net.Interface) (ifaceAddr, string) {
	var missing []string
	if ifi.Flags&net.FlagUp == 0 {
		missing = append(missing, "not up")
	}
	if ifi.Flags&net.FlagMulticast == 0 {
		missing = append(missing, "not multicast-capable")
	}
	addrs, _ := ifi.Addrs()
	var ip net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			ip = n.IP.To4()
			break
		}
	}
	if ip == nil {
		missing = append(missing, "no IPv4 address")
	}
	if len(missing) > 0 {
		return ifaceAddr{}, strings.Join(missing, ", ")
	}
	return ifaceAddr{name: ifi.Name, index: ifi.Index, ip: ip}, ""
}

// listenOn opens a UDP socket bound to the interface address whose
// multicast datagrams leave through that interface.
func listenOn(ctx context.Context, ia ifaceAddr) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: multicastIf(ia.ip)}
	pc, err := lc.ListenPacket(ctx, "udp4", net.JoinHostPort(ia.ip.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("onvif discover: interface %s: %w", ia.name, err)
	}
	return pc.(*net.UDPConn), nil
}
