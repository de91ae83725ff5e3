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
	// Spooled is when Append wrote the record.
	Spooled time.Time
	Payload []byte
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameHeader is the length and CRC-32C of the body that follows.
const frameHeader = 8

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
	body := dst[start+frameHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(body, castagnoli))
	return dst
}

var errTorn = errors.New("torn or corrupt record")

// frameLen reads a frame header and returns the body length, or errTorn
// when it cannot be a record.
func frameLen(hdr []byte, maxBody int) (int, uint32, error) {
	n := int(binary.LittleEndian.Uint32(hdr))
	if n < fixedBody || n > maxBody {
		return 0, 0, errTorn
	}
	return n, binary.LittleEndian.Uint32(hdr[4:]), nil
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
