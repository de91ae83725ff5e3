package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Kind says what a record holds; the full-spool policy drops counts before
// events.
type Kind uint8

// Record kinds.
const (
	KindEvent  Kind = 1
	KindCounts Kind = 2
)

// String is the kind's name as used in metrics ("event", "counts").
func (k Kind) String() string {
	switch k {
	case KindEvent:
		return "event"
	case KindCounts:
		return "counts"
	}
	return fmt.Sprintf("kind%d", uint8(k))
}

// Record is one spooled message.
type Record struct {
	// Index orders all records of the spool; it is assigned by Append,
	// grows by one per record and is never reused, also across restarts.
	Index uint64
	// Camera is the camera the message belongs to ("" for the agent).
	Camera string
	// Seq is the camera's message number, assigned by Append from 1 up.
	Seq      uint64
	Kind     Kind
	Topic    string
	Retained bool
	// Spooled is when Append wrote the record, on the spool's clock (see
	// "Clocks" in the package documentation).
	Spooled time.Time
	Payload []byte
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameMagic starts every record of a format-2 segment ("PSR2" on disk),
// so that recovery can find the next record after a damaged one.
const frameMagic uint32 = 0x32525350

// frameHeader is magic, body length, CRC-32C of the body, and CRC-32C of
// those twelve bytes.
const frameHeader = 16

// frameHeaderV1 is the format-1 header: body length and its CRC-32C.
const frameHeaderV1 = 8

// fixedBody is index, seq, spooled, kind, flags, camera length, topic length.
const fixedBody = 8 + 8 + 8 + 1 + 1 + 2 + 2

const flagRetained = 1

// maxField bounds camera and topic lengths (uint16 in the encoding).
const maxField = 1<<16 - 1

// encodedSize is the record's size on disk, frame header included.
func encodedSize(camera, topic string, payload int) int {
	return frameHeader + fixedBody + len(camera) + len(topic) + payload
}

// encode appends r's frame to dst.
func encode(dst []byte, r *Record) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	dst = binary.LittleEndian.AppendUint64(dst, r.Index)
	dst = binary.LittleEndian.AppendUint64(dst, r.Seq)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(r.Spooled.UnixNano()))
	var flags byte
	if r.Retained {
		flags |= flagRetained
	}
	dst = append(dst, byte(r.Kind), flags)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(r.Camera)))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(r.Topic)))
	dst = append(dst, r.Camera...)
	dst = append(dst, r.Topic...)
	dst = append(dst, r.Payload...)
	h := dst[start : start+frameHeader]
	body := dst[start+frameHeader:]
	binary.LittleEndian.PutUint32(h, frameMagic)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(body)))
	binary.LittleEndian.PutUint32(h[8:], crc32.Checksum(body, castagnoli))
	binary.LittleEndian.PutUint32(h[12:], crc32.Checksum(h[:12], castagnoli))
	return dst
}

var errTorn = errors.New("torn or corrupt record")

// header is a checked format-2 frame header.
type header struct {
	bodyLen int
	bodyCRC uint32
}

// readHeader checks the frame header at the start of b (magic and header
// CRC). It does not look at the body.
func readHeader(b []byte) (header, bool) {
	if len(b) < frameHeader || binary.LittleEndian.Uint32(b) != frameMagic {
		return header{}, false
	}
	if crc32.Checksum(b[:12], castagnoli) != binary.LittleEndian.Uint32(b[12:]) {
		return header{}, false
	}
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if n < fixedBody || n > maxBody {
		return header{}, false
	}
	return header{bodyLen: n, bodyCRC: binary.LittleEndian.Uint32(b[8:])}, true
}

// maxBody bounds a record's body; anything larger is not a record.
const maxBody = 1 << 30

// readFrame parses the format-2 record at the start of b and returns it
// with its encoded size. The payload aliases b.
func readFrame(b []byte) (Record, int, error) {
	h, ok := readHeader(b)
	if !ok || len(b)-frameHeader < h.bodyLen {
		return Record{}, 0, errTorn
	}
	r, err := decodeBody(b[frameHeader:frameHeader+h.bodyLen], h.bodyCRC)
	return r, frameHeader + h.bodyLen, err
}

// readFrameV1 parses a format-1 record (no magic, no header CRC), as
// written before format 2, so that an upgraded agent still sends them.
func readFrameV1(b []byte) (Record, int, error) {
	if len(b) < frameHeaderV1 {
		return Record{}, 0, errTorn
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < fixedBody || n > len(b)-frameHeaderV1 {
		return Record{}, 0, errTorn
	}
	r, err := decodeBody(b[frameHeaderV1:frameHeaderV1+n], binary.LittleEndian.Uint32(b[4:]))
	return r, frameHeaderV1 + n, err
}

// decodeBody checks the body against its CRC and parses it. The payload
// aliases body.
func decodeBody(body []byte, crc uint32) (Record, error) {
	if crc32.Checksum(body, castagnoli) != crc {
		return Record{}, errTorn
	}
	var r Record
	r.Index = binary.LittleEndian.Uint64(body)
	r.Seq = binary.LittleEndian.Uint64(body[8:])
	r.Spooled = time.Unix(0, int64(binary.LittleEndian.Uint64(body[16:])))
	r.Kind = Kind(body[24])
	r.Retained = body[25]&flagRetained != 0
	cl := int(binary.LittleEndian.Uint16(body[26:]))
	tl := int(binary.LittleEndian.Uint16(body[28:]))
	rest := body[fixedBody:]
	if cl+tl > len(rest) {
		return Record{}, errTorn
	}
	r.Camera = string(rest[:cl])
	r.Topic = string(rest[cl : cl+tl])
	r.Payload = rest[cl+tl:]
	return r, nil
}
