package rtsp

import (
	"bytes"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// NAL unit types this package looks at.
const (
	h264IDR, h264SPS, h264PPS, h264AUD = 5, 7, 8, 9
	h265BLAWLP, h265CRA                = 16, 21 // IRAP range: random access
	h265VPS, h265SPS, h265PPS, h265AUD = 32, 33, 34, 35
)

// naluType returns the NAL unit type of n (n is not empty).
func naluType(codec string, n []byte) int {
	if codec == "h265" {
		return int(n[0]>>1) & 0x3f
	}
	return int(n[0]) & 0x1f
}

// paramSets is the latest VPS/SPS/PPS of a track and what they describe.
// It is used from the receiving goroutine only.
type paramSets struct {
	codec         string
	vps, sps, pps []byte
	info          StreamInfo
	infoKnown     bool
	onInfo        func(StreamInfo)
	handedOut     bool // a unit was returned by prepare
}

// set records a parameter set NAL unit (a copy of it) and reports the
// track description when a new SPS changes it.
func (p *paramSets) set(n []byte) {
	switch t := naluType(p.codec, n); {
	case p.codec == "h265" && t == h265VPS:
		p.vps = clone(p.vps, n)
	case p.codec == "h265" && t == h265SPS, p.codec == "h264" && t == h264SPS:
		if bytes.Equal(p.sps, n) {
			return
		}
		p.sps = clone(p.sps, n)
		p.updateInfo()
	case p.codec == "h265" && t == h265PPS, p.codec == "h264" && t == h264PPS:
		p.pps = clone(p.pps, n)
	}
}

// clone copies n into old's storage when it fits, else into a new slice.
func clone(old, n []byte) []byte {
	if bytes.Equal(old, n) {
		return old
	}
	return append(old[:0:0], n...)
}

// updateInfo parses the SPS; a SPS that does not parse keeps the old info.
func (p *paramSets) updateInfo() {
	info := StreamInfo{Codec: p.codec}
	if p.codec == "h265" {
		var s h265.SPS
		if s.Unmarshal(p.sps) != nil {
			return
		}
		info.Width, info.Height, info.FPS = s.Width(), s.Height(), s.FPS()
	} else {
		var s h264.SPS
		if s.Unmarshal(p.sps) != nil {
			return
		}
		info.Width, info.Height, info.FPS = s.Width(), s.Height(), s.FPS()
	}
	if p.infoKnown && info == p.info {
		return
	}
	p.info, p.infoKnown = info, true
	if p.onInfo != nil {
		p.onInfo(info)
	}
}

// isParamSet reports whether t is a VPS, SPS or PPS type.
func (p *paramSets) isParamSet(t int) bool {
	if p.codec == "h265" {
		return t == h265VPS || t == h265SPS || t == h265PPS
	}
	return t == h264SPS || t == h264PPS
}

// isRandomAccess reports whether t is an IDR (H.264) or IRAP (H.265)
// slice type.
func (p *paramSets) isRandomAccess(t int) bool {
	if p.codec == "h265" {
		return t >= h265BLAWLP && t <= h265CRA
	}
	return t == h264IDR
}

// prepare drops empty NAL units, records in-band parameter sets, and
// returns the access unit with a complete set of parameter sets in front
// when it is a random-access unit that lacks some, so a decoder can start
// at any keyframe. The first unit of the session gets them too, so that a
// decoder can start at a recovery point of a stream that never sends an
// IDR (intra refresh) and has its parameter sets only in the SDP.
func (p *paramSets) prepare(au [][]byte) (out [][]byte, randomAccess bool) {
	var have [3]bool // vps, sps, pps present in-band
	n := 0
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		au[n] = nalu
		n++
		t := naluType(p.codec, nalu)
		if p.isParamSet(t) {
			p.set(nalu)
			switch t {
			case h265VPS:
				have[0] = true
			case h264SPS, h265SPS:
				have[1] = true
			case h264PPS, h265PPS:
				have[2] = true
			}
		}
		if p.isRandomAccess(t) {
			randomAccess = true
		}
	}
	au = au[:n]
	if p.codec == "h264" {
		have[0] = true
	}
	first := !p.handedOut && n > 0
	p.handedOut = p.handedOut || n > 0
	if !randomAccess && !first || have == [3]bool{true, true, true} || p.sps == nil || p.pps == nil {
		return au, randomAccess
	}
	// Rebuild: access unit delimiter first, then VPS/SPS/PPS, then the rest.
	out = make([][]byte, 0, len(au)+3)
	rest := au
	if t := naluType(p.codec, au[0]); t == h264AUD && p.codec == "h264" || t == h265AUD && p.codec == "h265" {
		out, rest = append(out, au[0]), au[1:]
	}
	for _, ps := range [][]byte{p.vps, p.sps, p.pps} {
		if ps != nil {
			out = append(out, bytes.Clone(ps))
		}
	}
	for _, nalu := range rest {
		if !p.isParamSet(naluType(p.codec, nalu)) {
			out = append(out, nalu)
		}
	}
	return out, randomAccess
}
