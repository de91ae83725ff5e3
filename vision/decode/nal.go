package decode

// NAL unit types this package looks at.
const (
	h264Slice = 1
	h264IDR   = 5
	h264SEI   = 6
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
// is a picture nothing later needs decoded: H.264 nal_ref_idc 0; H.265
// sub-layer non-reference types (even types up to 14) only in the highest
// temporal sub-layer the SPS announces, since a lower sub-layer's
// non-reference picture may still be referenced by a higher sub-layer.
// Without a SPS an H.265 picture is never taken for non-reference.
func (p *paramSets) isNonReference(h265 bool, nalus [][]byte) bool {
	vcl := false
	for _, n := range nalus {
		t := nalType(h265, n)
		if !isVCL(h265, t) {
			continue
		}
		vcl = true
		if !h265 {
			if n[0]&0x60 != 0 {
				return false
			}
			continue
		}
		if t > 14 || t%2 != 0 || len(n) < 2 || len(p.sps) < 3 {
			return false
		}
		tid := int(n[1]&0x7) - 1 // nuh_temporal_id_plus1
		if tid < p.maxSubLayer() {
			return false
		}
	}
	return vcl
}

// maxSubLayer is the highest temporal sub-layer id (sps_max_sub_layers
// minus 1) of the stored H.265 SPS: the 4 bits after the 2-byte header are
// the VPS id, the next 3 the sub-layer count minus 1.
func (p *paramSets) maxSubLayer() int {
	return int(p.sps[2]>>1) & 0x7
}

// h264StartPoint reports, for an H.264 access unit without IDR, whether
// every slice is an intra slice (decoding can start, and it is whole) and
// whether it carries a recovery-point SEI (decoding can start; the picture
// is whole after the recovery count).
func h264StartPoint(nalus [][]byte) (intra, recovery bool) {
	slices := 0
	intra = true
	for _, n := range nalus {
		switch nalType(false, n) {
		case h264Slice:
			slices++
			if st, ok := sliceType(n); !ok || st%5 != 2 && st%5 != 4 { // I or SI
				intra = false
			}
		case h264SEI:
			recovery = recovery || hasRecoveryPoint(n)
		}
	}
	return intra && slices > 0, recovery
}

// sliceType reads slice_type from an H.264 slice header: two Exp-Golomb
// numbers after the NAL header (first_mb_in_slice, slice_type). Emulation
// prevention bytes cannot occur that early in practice; a header that
// does not parse reports false.
func sliceType(n []byte) (int, bool) {
	r := bitReader{b: n[1:]}
	if _, ok := r.ue(); !ok {
		return 0, false
	}
	return r.ue()
}

// hasRecoveryPoint reports whether an SEI NAL unit holds a recovery-point
// message (payload type 6).
func hasRecoveryPoint(n []byte) bool {
	b := n[1:]
	for len(b) > 1 && b[0] != 0x80 { // 0x80: rbsp trailing bits
		pt, i := 0, 0
		for i < len(b) && b[i] == 0xff {
			pt += 255
			i++
		}
		if i >= len(b) {
			return false
		}
		pt += int(b[i])
		i++
		size := 0
		for i < len(b) && b[i] == 0xff {
			size += 255
			i++
		}
		if i >= len(b) {
			return false
		}
		size += int(b[i])
		i++
		if pt == 6 {
			return true
		}
		if i+size > len(b) {
			return false
		}
		b = b[i+size:]
	}
	return false
}

// bitReader reads Exp-Golomb numbers MSB first.
type bitReader struct {
	b   []byte
	pos int // in bits
}

func (r *bitReader) bit() (int, bool) {
	if r.pos >= 8*len(r.b) {
		return 0, false
	}
	v := int(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v, true
}

func (r *bitReader) ue() (int, bool) {
	zeros := 0
	for {
		v, ok := r.bit()
		if !ok || zeros > 31 {
			return 0, false
		}
		if v == 1 {
			break
		}
		zeros++
	}
	v := 1
	for i := 0; i < zeros; i++ {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		v = v<<1 | b
	}
	return v - 1, true
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
