package camsim

import (
	"bytes"
	"context"
	"math/rand/v2"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/pantau/pantau/vision/clip"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// streamLoop sends the clip in a loop, each access unit at its PTS on the
// wall clock, until ctx is cancelled; then it closes done.
func (s *Server) streamLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	encode, err := s.newEncoder()
	if err != nil {
		s.log.Error("camsim: create RTP encoder", "err", err)
		return
	}
	rng := rand.New(rand.NewPCG(1, 0x70616e746175)) // fixed: same corruption every run
	rtpBase := rand.Uint32()
	im := s.cfg.Impair
	// Units are sent in decoding order at their decoding time, with their
	// presentation time in the RTP timestamp, as an encoder with B-frames
	// does.
	first, last := s.aus[0].DTS, s.aus[len(s.aus)-1].DTS
	loopLen := last - first + s.frameDur
	offset := -s.aus[s.cfg.StartFrame].DTS // stream time = DTS + offset
	start := time.Now()
	var lastSR time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C

	var reported uint64 // write errors already summarised
	lastReport := start

	for i := s.cfg.StartFrame; ; {
		au := s.aus[i]
		at := au.DTS + offset
		if im.Jitter > 0 {
			at += time.Duration(rng.Int64N(int64(im.Jitter) + 1))
		}
		if wait := time.Until(start.Add(at)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		pts := au.PTS + offset
		ts := rtpBase + uint32(pts.Microseconds()*9/100)
		switch now := time.Now(); {
		case im.stalled(now.Sub(start)):
			// Frozen encoder: the session and RTCP go on, video does not.
			if now.Sub(lastSR) >= time.Second {
				s.senderReport(ts, now)
				lastSR = now
			}
		case !s.paused.Load():
			s.send(encode, s.prepare(au, rng), ts, rng)
		}
		if now := time.Now(); now.Sub(lastReport) >= 10*time.Second {
			if n := s.writeErrs.Load(); n > reported {
				s.log.Warn("packets dropped for slow clients", "count", n-reported, "period", now.Sub(lastReport).Round(time.Second))
				reported = n
			}
			lastReport = now
		}
		if i++; i == len(s.aus) {
			i = 0
			offset += loopLen
		}
	}
}

// send packetizes one access unit and writes it to every reader of the
// current stream. A stream closed under our feet (DropClients, Close)
// just loses the packets.
func (s *Server) send(encode func([][]byte) ([]*rtp.Packet, error), nalus [][]byte, ts uint32, rng *rand.Rand) {
	if len(nalus) == 0 {
		return
	}
	pkts, err := encode(nalus)
	if err != nil {
		s.log.Warn("camsim: packetize access unit", "err", err)
		return
	}
	st := s.current()
	if st == nil {
		return
	}
	medi := st.Desc.Medias[0]
	for _, p := range pkts {
		p.Timestamp = ts
		if s.cfg.Impair.Loss > 0 && rng.Float64() < s.cfg.Impair.Loss {
			s.lost.Add(1) // the sequence number is used up: a real gap
			continue
		}
		if err := st.WritePacketRTP(medi, p); err != nil {
			return
		}
	}
	s.sent.Add(1)
}

// newEncoder returns the RTP packetizer for the clip's codec.
func (s *Server) newEncoder() (func([][]byte) ([]*rtp.Packet, error), error) {
	if s.info.Codec == "h265" {
		e := &rtph265.Encoder{PayloadType: 96}
		if err := e.Init(); err != nil {
			return nil, err
		}
		return e.Encode, nil
	}
	e := &rtph264.Encoder{PayloadType: 96, PacketizationMode: 1}
	if err := e.Init(); err != nil {
		return nil, err
	}
	return e.Encode, nil
}

// prepare applies the test options to one access unit: strip parameter
// sets (OutOfBandParams) and corrupt slices (CorruptRatio). The clip in
// memory is never modified.
func (s *Server) prepare(au clip.AccessUnit, rng *rand.Rand) [][]byte {
	if !s.cfg.OutOfBandParams && s.cfg.CorruptRatio == 0 {
		return au.NALUs
	}
	codec := s.info.Codec
	out := make([][]byte, 0, len(au.NALUs))
	for _, n := range au.NALUs {
		t := clip.NALType(codec, n)
		if s.cfg.OutOfBandParams && isParamSet(codec, t) {
			continue
		}
		if s.cfg.CorruptRatio > 0 && isSlice(codec, t) && rng.Float64() < s.cfg.CorruptRatio {
			n = corrupt(n, codec, rng)
			s.corrupted.Add(1)
		}
		out = append(out, n)
	}
	return out
}

// corrupt returns a copy of NAL unit n with about one byte in a hundred of
// its payload inverted (at least one); the NAL header is kept so the unit
// still parses as the same type.
func corrupt(n []byte, codec string, rng *rand.Rand) []byte {
	hdr := 1
	if codec == "h265" {
		hdr = 2
	}
	c := bytes.Clone(n)
	if len(c) <= hdr {
		return c
	}
	for k := 0; k <= (len(c)-hdr)/100; k++ {
		c[hdr+rng.IntN(len(c)-hdr)] ^= 0xff
	}
	return c
}

// isParamSet reports whether NAL type t is a VPS, SPS or PPS.
func isParamSet(codec string, t int) bool {
	if codec == "h265" {
		return t >= 32 && t <= 34
	}
	return t == 7 || t == 8
}

// isSlice reports whether NAL type t carries picture data.
func isSlice(codec string, t int) bool {
	if codec == "h265" {
		return t >= 0 && t <= 31
	}
	return t >= 1 && t <= 5
}

// senderReport writes an RTCP sender report for the stream (what a camera
// whose encoder froze keeps sending).
func (s *Server) senderReport(ts uint32, now time.Time) {
	st := s.current()
	if st == nil {
		return
	}
	secs := uint64(now.Unix()) + 2208988800 // NTP era
	frac := uint64(now.Nanosecond()) << 32 / 1e9
	// A stream closed under our feet (DropClients, Close) loses it.
	_ = st.WritePacketRTCP(st.Desc.Medias[0], &rtcp.SenderReport{SSRC: 1, NTPTime: secs<<32 | frac, RTPTime: ts})
}
