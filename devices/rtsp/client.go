package rtsp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/pion/rtp"
)

// Run connects, plays the first H.264 or H.265 track of the stream and
// calls the access-unit callback until the stream fails or ends (an error
// classified as documented on the package) or ctx is cancelled (nil). It
// closes the connection and waits for gortsplib's goroutines before it
// returns. Run may be called again after it returned (Stats keep
// counting), but not concurrently.
func (c *Client) Run(ctx context.Context) error {
	if c.onAU == nil {
		return c.newError(nil, "no access-unit callback", nil)
	}
	u, err := base.ParseURL(c.cfg.URL)
	if err != nil {
		return c.newError(nil, "invalid URL", err)
	}
	var transport gortsplib.Transport
	switch strings.ToLower(c.cfg.Transport) {
	case "tcp":
		transport = gortsplib.TransportTCP
	case "udp":
		transport = gortsplib.TransportUDP
	default:
		return c.newError(nil, fmt.Sprintf("transport %q: want tcp or udp", c.cfg.Transport), nil)
	}

	gc := &gortsplib.Client{
		Scheme:            u.Scheme,
		Host:              u.Host,
		ReadTimeout:       c.cfg.ReadTimeout,
		Transport:         &transport,
		DialContext:       c.dial,
		OnTransportSwitch: func(error) {},
		OnPacketsLost:     func(n uint64) { c.lost.Add(n) },
		OnDecodeError:     func(error) { c.decodeErrs.Add(1) },
	}
	if err := gc.Start2(); err != nil {
		return c.newError(nil, "start client", err)
	}
	defer gc.Close()

	// Cancelling ctx or missing the handshake deadline closes the client,
	// which makes the pending request return.
	var handshakeExpired atomic.Bool
	handshakeTimer := time.AfterFunc(c.cfg.DialTimeout, func() {
		handshakeExpired.Store(true)
		gc.Close()
	})
	defer handshakeTimer.Stop()
	stopOnCancel := context.AfterFunc(ctx, gc.Close)
	defer stopOnCancel()

	fail := func(stage string, err error) error {
		if ctx.Err() != nil {
			return nil
		}
		if handshakeExpired.Load() {
			err = errHandshakeTimeout
		}
		return c.classify(stage, err)
	}

	desc, _, err := gc.Describe(u)
	if err != nil {
		return fail("describe", err)
	}
	medi, forma, ps, err := c.pickTrack(desc)
	if err != nil {
		return err
	}
	ptsOf := func(pkt *rtp.Packet) (int64, bool) { return gc.PacketPTS2(medi, pkt) }
	onPacket, err := c.packetHandler(ptsOf, forma, ps)
	if err != nil {
		return c.newError(nil, "create depacketizer", err)
	}
	if _, err := gc.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return fail("setup", err)
	}
	gc.OnPacketRTP(medi, forma, onPacket) // only valid after SETUP
	if _, err := gc.Play(nil); err != nil {
		return fail("play", err)
	}
	if !handshakeTimer.Stop() {
		return fail("play", errHandshakeTimeout)
	}

	err = gc.Wait()
	return fail("read", err)
}

// dial connects with DialTimeout and marks failures as connect errors.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, &dialError{err: err}
	}
	return conn, nil
}

// pickTrack returns the first H.264 or H.265 format of desc, with its
// parameter sets from the SDP.
func (c *Client) pickTrack(desc *description.Session) (*description.Media, format.Format, *paramSets, error) {
	var found []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			ps := &paramSets{onInfo: c.cfg.OnInfo}
			switch f := f.(type) {
			case *format.H264:
				ps.codec = "h264"
				sps, pps := f.SafeParams()
				for _, n := range [][]byte{sps, pps} {
					if len(n) > 0 {
						ps.set(n)
					}
				}
			case *format.H265:
				ps.codec = "h265"
				vps, sps, pps := f.SafeParams()
				for _, n := range [][]byte{vps, sps, pps} {
					if len(n) > 0 {
						ps.set(n)
					}
				}
			default:
				found = append(found, string(m.Type)+"/"+f.Codec())
				continue
			}
			return m, f, ps, nil
		}
	}
	have := "the stream has no tracks"
	if len(found) > 0 {
		have = "the stream has " + strings.Join(found, ", ")
	}
	return nil, nil, nil, c.newError(ErrNoVideo, "describe: no H.264 or H.265 video track", errors.New(have))
}

// packetHandler returns the RTP callback for one track: depacketize,
// time-stamp, complete parameter sets, hand out. gortsplib calls it from
// one goroutine, so its state needs no lock.
// ptsOf returns a packet's presentation time in clock-rate ticks, false
// while unknown.
func (c *Client) packetHandler(ptsOf func(*rtp.Packet) (int64, bool), forma format.Format,
	ps *paramSets,
) (func(*rtp.Packet), error) {
	var decode func(*rtp.Packet) ([][]byte, error)
	switch f := forma.(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		decode = d.Decode
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		decode = d.Decode
	}
	clockRate := int64(forma.ClockRate())
	// gortsplib knows no PTS until the first random-access unit; units
	// before it are dropped (a decoder could not use them anyway).
	var prevPTS, pts time.Duration
	var prevOK, ok bool
	return func(pkt *rtp.Packet) {
		prevPTS, prevOK = pts, ok
		var ticks int64
		if ticks, ok = ptsOf(pkt); ok {
			pts = time.Duration(ticks/clockRate)*time.Second +
				time.Duration(ticks%clockRate)*time.Second/time.Duration(clockRate)
		}
		// Depacketize every packet, so fragment state stays consistent.
		nalus, err := decode(pkt)
		if err != nil {
			if !errors.Is(err, rtph264.ErrMorePacketsNeeded) &&
				!errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) &&
				!errors.Is(err, rtph265.ErrMorePacketsNeeded) &&
				!errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious) {
				c.decodeErrs.Add(1)
			}
			return
		}
		// An access unit completed by a packet of the next picture (no
		// marker bit) belongs to the previous packet's time.
		auPTS, auOK := pts, ok
		if !pkt.Marker {
			auPTS, auOK = prevPTS, prevOK
		}
		if !auOK {
			return
		}
		nalus, ra := ps.prepare(nalus)
		if len(nalus) == 0 {
			return
		}
		size := 0
		for _, n := range nalus {
			size += len(n)
		}
		c.aus.Add(1)
		c.bytes.Add(uint64(size))
		c.onAU(AccessUnit{
			Codec:        ps.codec,
			NALUs:        nalus,
			PTS:          auPTS,
			RandomAccess: ra,
			Received:     time.Now(),
		})
	}, nil
}
