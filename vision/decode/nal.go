package decode

// NAL unit types this package looks at.
const (
	h264Slice = 1
	h264IDR   = 5
	h264SPS   = 7
	h264PPS   = 8
	h265VPS   = 32
	h265SPS   = 33
	h265PPS   = 34
)

// nalType returns the NAL unit type of n, or -1 for an empty unit.
func nalType(h265 bool, n []byte) int {
	if len(n) == 0 {
		return -1
	}
	if h265 {
		return int(n[0]>>1) & 0x3f
	}
	return int(n[0]) & 0x1f
}

// isVCL reports whether NAL type t carries picture data.
func isVCL(h265 bool, t int) bool {
	if h265 {
		return t >= 0 && t <= 31
	}
	return t >= h264Slice && t <= h264IDR
}

// isRandomAccess reports whether the access unit holds an IDR (H.264) or
// IRAP (H.265: BLA, IDR, CRA) picture, where decoding can start.
func isRandomAccess(h265 bool, nalus [][]byte) bool {
	for _, n := range nalus {
		t := nalType(h265, n)
		if h265 && t >= 16 && t <= 21 || !h265 && t == h264IDR {
			return true
		}
	}
	return false
}

// isNonReference reports whether every picture NAL unit in the access unit
// is a non-reference picture (H.264 nal_ref_idc 0; H.265 sub-layer
// non-reference types), so nothing later needs it decoded.
func isNonReference(h265 bool, nalus [][]byte) bool {
	vcl := false
	for _, n := range nalus {
		t := nalType(h265, n)
		if !isVCL(h265, t) {
			continue
		}
		vcl = true
		if h265 {
			if t > 14 || t%2 != 0 {
				return false
			}
		} else if n[0]&0x60 != 0 {
			return false
		}
	}
	return vcl
}

// paramSets keeps copies of the latest parameter sets seen in-band, so an
// access unit at which decoding starts can be given them when the source
// sends them only once (or only in the SDP, see Decoder.SetParameterSets).
type paramSets struct {
	vps, sps, pps []byte
}

// update copies the parameter sets in nalus and reports whether nalus
// holds a complete set itself.
func (p *paramSets) update(h265 bool, nalus [][]byte) (complete bool) {
	var v, s, q bool
	for _, n := range nalus {
		switch t := nalType(h265, n); {
		case h265 && t == h265VPS:
			p.vps, v = append(p.vps[:0], n...), true
		case h265 && t == h265SPS || !h265 && t == h264SPS:
			p.sps, s = append(p.sps[:0], n...), true
		case h265 && t == h265PPS || !h265 && t == h264PPS:
			p.pps, q = append(p.pps[:0], n...), true
		}
	}
	return s && q && (v || !h265)
}

// reset forgets the stored parameter sets (codec change).
func (p *paramSets) reset() {
	p.vps, p.sps, p.pps = p.vps[:0], p.sps[:0], p.pps[:0]
}

// list returns the stored parameter sets in decoding order into dst.
func (p *paramSets) list(dst [][]byte) [][]byte {
	for _, n := range [][]byte{p.vps, p.sps, p.pps} {
		if len(n) > 0 {
			dst = append(dst, n)
		}
	}
	return dst
}
