package onvif

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/devices/onvif/wsdiscovery"
)

// MaxProbeHosts bounds how many addresses a unicast probe list (after CIDR
// expansion) may contain.
const MaxProbeHosts = 4096

// Caps on what one discovery keeps, so a flood of forged answers cannot
// grow memory without bound.
const (
	maxDiscovered = 4096
	maxXAddrs     = 8
)

// DefaultDiscoverTimeout is the default listening window.
const DefaultDiscoverTimeout = 3 * time.Second

// DiscoverConfig configures Discover. The zero value probes by multicast
// on every up, multicast-capable interface with an IPv4 address and
// listens for 3 seconds.
type DiscoverConfig struct {
	// Interfaces limits multicast probing to these interface names.
	// Empty means every up, multicast-capable interface with IPv4.
	Interfaces []string
	// Probe lists hosts ("192.0.2.7", "cam.local", "192.0.2.7:3702") or
	// IPv4 CIDRs ("192.0.2.0/24") to probe by unicast, for networks where
	// multicast does not pass. At most MaxProbeHosts addresses in total.
	Probe []string
	// NoMulticast disables the multicast probe (unicast Probe only).
	NoMulticast bool
	// Timeout is the listening window. It defaults to 3 seconds.
	Timeout time.Duration
	// Port is the WS-Discovery port. It defaults to 3702.
	Port int
}

// Discovered is one device that answered a probe.
type Discovered struct {
	// UUID is the endpoint reference address, usually "urn:uuid:...".
	UUID string `json:"uuid"`
	// XAddrs are the device service URLs, hosts fixed to the sender's
	// address where the device reported 0.0.0.0 or another private
	// address than the one it answered from.
	XAddrs []string `json:"xaddrs"`
	Types  []string `json:"types,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	// From is the IP address the answer came from.
	From string `json:"from"`
}

type datagram struct {
	data []byte
	from *net.UDPAddr
}

// Discover sends WS-Discovery probes and collects the answers for the
// listening window, deduplicated by endpoint UUID. When ctx is cancelled
// first it returns what it found so far with ctx's error.
// It returns an error when nothing could be probed at all (no usable
// interface, an unknown interface name, a bad or oversized probe list);
// answers that do not parse are ignored, as are answers to other probes.
func Discover(ctx context.Context, cfg DiscoverConfig) ([]Discovered, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultDiscoverTimeout
	}
	if cfg.Port <= 0 {
		cfg.Port = wsdiscovery.Port
	}
	targets, err := expandTargets(cfg.Probe, cfg.Port)
	if err != nil {
		return nil, err
	}
	var ifaces []ifaceAddr
	if !cfg.NoMulticast {
		ifaces, err = multicastInterfaces(cfg.Interfaces)
		if err != nil {
			return nil, err
		}
	}
	if len(ifaces) == 0 && len(targets) == 0 {
		return nil, errors.New("onvif discover: no up, multicast-capable interface with IPv4 and nothing to probe by unicast (use a probe list)")
	}

	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	msgID := wsdiscovery.NewUUID()
	probe := wsdiscovery.NewProbe(msgID, wsdiscovery.TypeNVT)
	in := make(chan datagram, 64)
	var wg sync.WaitGroup
	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	}()
	listen := func(c *net.UDPConn) {
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			readLoop(ctx, c, in)
		}()
	}
	group := &net.UDPAddr{IP: net.IPv4(239, 255, 255, 250), Port: cfg.Port}
	var sendErrs []error
	var mconns []*net.UDPConn
	for _, ia := range ifaces {
		c, err := listenOn(ctx, ia)
		if err != nil {
			sendErrs = append(sendErrs, err)
			continue
		}
		listen(c)
		mconns = append(mconns, c)
		if _, err := c.WriteToUDP(probe, group); err != nil {
			sendErrs = append(sendErrs, fmt.Errorf("onvif discover: multicast on %s: %w", ia.name, err))
		}
	}
	if len(targets) > 0 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{})
		if err != nil {
			return nil, fmt.Errorf("onvif discover: %w", err)
		}
		listen(c)
		for i, t := range targets {
			if i > 0 && i%64 == 0 {
				time.Sleep(2 * time.Millisecond) // pace large sweeps: no ENOBUFS, no flood
			}
			_, _ = c.WriteToUDP(probe, t)
		}
	}
	if len(conns) == 0 {
		return nil, errors.Join(sendErrs...)
	}
	// Datagrams get lost: repeat the multicast probe once, early.
	resend := time.NewTimer(cfg.Timeout / 10)
	defer resend.Stop()

	found := map[string]*Discovered{}
	for {
		select {
		case <-ctx.Done():
			return collect(found), parent.Err()
		case <-resend.C:
			for _, c := range mconns {
				_, _ = c.WriteToUDP(probe, group)
			}
		case d := <-in:
			addMatches(found, d, msgID)
		}
	}
}

func readLoop(ctx context.Context, c *net.UDPConn, out chan<- datagram) {
	buf := make([]byte, wsdiscovery.MaxMessage)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			return // closed when Discover returns
		}
		select {
		case out <- datagram{data: append([]byte(nil), buf[:n]...), from: from}:
		case <-ctx.Done():
			return
		}
	}
}

func addMatches(found map[string]*Discovered, d datagram, msgID string) {
	pm, err := wsdiscovery.ParseProbeMatches(d.data)
	if err != nil || (pm.RelatesTo != "" && pm.RelatesTo != msgID) {
		return
	}
	from := d.from.IP.String()
	for _, m := range pm.Matches {
		// "urn:uuid:X" and "uuid:X" name the same endpoint.
		key := strings.ToLower(strings.TrimPrefix(m.Address, "urn:"))
		dev := found[key]
		if dev == nil {
			if len(found) >= maxDiscovered {
				return
			}
			dev = &Discovered{UUID: m.Address, Types: m.Types, Scopes: m.Scopes, From: from}
			found[key] = dev
		}
		for _, x := range m.XAddrs {
			x = FixHost(x, from, false)
			if !contains(dev.XAddrs, x) && len(dev.XAddrs) < maxXAddrs {
				dev.XAddrs = append(dev.XAddrs, x)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func collect(found map[string]*Discovered) []Discovered {
	out := make([]Discovered, 0, len(found))
	for _, d := range found {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].UUID < out[j].UUID
	})
	return out
}

// expandTargets resolves the unicast probe list to UDP addresses.
func expandTargets(list []string, port int) ([]*net.UDPAddr, error) {
	var out []*net.UDPAddr
	for _, item := range list {
		if _, n, err := net.ParseCIDR(item); err == nil {
			ones, bits := n.Mask.Size()
			if bits != 32 {
				return nil, fmt.Errorf("onvif discover: probe %q: only IPv4 CIDRs are supported", item)
			}
			size := 1 << (bits - ones)
			if size > MaxProbeHosts || len(out)+size > MaxProbeHosts {
				return nil, fmt.Errorf("onvif discover: probe %q has %d addresses; at most %d in total", item, size, MaxProbeHosts)
			}
			base := n.IP.To4()
			for i := 0; i < size; i++ {
				if size > 2 && (i == 0 || i == size-1) {
					continue // network and broadcast addresses
				}
				v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
				v += uint32(i)
				out = append(out, &net.UDPAddr{IP: net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)), Port: port})
			}
			continue
		}
		host, p := item, port
		if h, ps, err := net.SplitHostPort(item); err == nil {
			n, err := strconv.Atoi(ps)
			if err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("onvif discover: probe %q: bad port", item)
			}
			host, p = h, n
		}
		ips, err := net.LookupIP(host)
		if err != nil {
			return nil, fmt.Errorf("onvif discover: probe %q: %w", item, err)
		}
		var ip4 net.IP
		for _, ip := range ips {
			if ip.To4() != nil {
				ip4 = ip.To4()
				break
			}
		}
		if ip4 == nil {
			return nil, fmt.Errorf("onvif discover: probe %q: no IPv4 address", item)
		}
		out = append(out, &net.UDPAddr{IP: ip4, Port: p})
		if len(out) > MaxProbeHosts {
			return nil, fmt.Errorf("onvif discover: more than %d probe addresses", MaxProbeHosts)
		}
	}
	return out, nil
}

// ScopeValues returns the values of the device's ONVIF scopes of one kind:
// for kind "name" the scope onvif://www.onvif.org/name/Front_Door gives
// "Front_Door". Kinds are compared case-insensitively ("MAC", "hardware",
// "location", "Profile", ...); values are URL-unescaped. Cameras that
// publish their MAC address here can be matched to credentials before any
// authenticated call.
func (d Discovered) ScopeValues(kind string) []string {
	var out []string
	for _, s := range d.Scopes {
		rest, ok := strings.CutPrefix(s, "onvif://www.onvif.org/")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(rest, "/")
		if !ok || !strings.EqualFold(k, kind) || v == "" {
			continue
		}
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		out = append(out, v)
	}
	return out
}
