package onvifsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/pantau/pantau/devices/onvif/wsdiscovery"
)

// responder answers WS-Discovery probes: unicast on uc, multicast on mc.
type responder struct {
	uc, mc   *net.UDPConn
	mcastErr error
	match    func() wsdiscovery.Match
	once     sync.Once
	closed   chan struct{}
}

func newResponder(addr string, match func() wsdiscovery.Match) (*responder, error) {
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		host, portS = addr, strconv.Itoa(wsdiscovery.Port)
	}
	ip := net.ParseIP(host).To4()
	port, perr := strconv.Atoi(portS)
	if ip == nil || perr != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("onvifsim: DiscoveryAddr %q: want IPv4[:PORT]", addr)
	}
	lc := net.ListenConfig{Control: reuseAddr}
	pc, err := lc.ListenPacket(context.Background(), "udp4", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("onvifsim: discovery listen %s: %w", addr, err)
	}
	r := &responder{uc: pc.(*net.UDPConn), match: match, closed: make(chan struct{})}
	port = r.uc.LocalAddr().(*net.UDPAddr).Port

	// Multicast: join the group on the interface that owns ip. A failure
	// leaves the responder unicast-only (e.g. lo without MULTICAST).
	var ifi *net.Interface
	if !ip.IsUnspecified() {
		ifi, err = interfaceFor(ip)
		if err != nil {
			r.mcastErr = err
			return r, nil
		}
		if ifi.Flags&net.FlagMulticast == 0 {
			r.mcastErr = fmt.Errorf("interface %s is not multicast-capable", ifi.Name)
			return r, nil
		}
	}
	group := &net.UDPAddr{IP: net.IPv4(239, 255, 255, 250), Port: port}
	r.mc, r.mcastErr = net.ListenMulticastUDP("udp4", ifi, group)
	return r, nil
}

// interfaceFor finds the interface whose network contains ip (loopback
// addresses such as 127.0.0.2 belong to lo's 127.0.0.0/8).
func interfaceFor(ip net.IP) (*net.Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		addrs, err := ifs[i].Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.Contains(ip) {
				return &ifs[i], nil
			}
		}
	}
	return nil, fmt.Errorf("no interface has address %s", ip)
}

func (r *responder) run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, c := range []*net.UDPConn{r.uc, r.mc} {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.serve(c)
		}()
	}
	select {
	case <-ctx.Done():
	case <-r.closed:
	}
	r.close()
	wg.Wait()
	return nil
}

func (r *responder) serve(c *net.UDPConn) {
	buf := make([]byte, wsdiscovery.MaxMessage)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p, err := wsdiscovery.ParseProbe(buf[:n])
		if err != nil || !wsdiscovery.MatchesTypes(p.Types) {
			continue // not a probe for us: real cameras stay silent
		}
		// Reply from the unicast socket so the source is our address.
		_, _ = r.uc.WriteToUDP(wsdiscovery.NewProbeMatches(wsdiscovery.NewUUID(), p.MessageID, r.match()), from)
	}
}

func (r *responder) close() {
	r.once.Do(func() {
		close(r.closed)
		r.uc.Close()
		if r.mc != nil {
			r.mc.Close()
		}
	})
}
