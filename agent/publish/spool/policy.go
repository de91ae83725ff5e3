package spool

import (
	"encoding/binary"
	"hash/crc32"
	"sort"
	"time"
)

// ackEntry is u64 first, u64 last, u32 CRC-32C of the 16 bytes before.
const ackEntry = 20

// compactAcksAt is the acks.log size above which it is rewritten.
const compactAcksAt = 256 << 10

// killLocked marks entry i done and updates the counters.
func (s *Spool) killLocked(i int) {
	e := &s.entries[i]
	e.dead = true
	s.live--
	s.liveBytes -= int64(e.size)
	e.seg.live--
	e.seg.deadBytes += int64(e.size)
}

// ackLocked records that first…last are done. It is not synced and a
// failed write is not returned: a lost ack only means a duplicate delivery
// (the message id makes it detectable). The failure marks acks.log stale,
// which holds compaction back until acks.log is rewritten from memory.
func (s *Spool) ackLocked(first, last uint64) {
	if s.ackTail != nil {
		s.ackTail = append(s.ackTail, [2]uint64{first, last})
	}
	b := ackBytes(first, last)
	if _, err := s.acks.WriteAt(b[:], s.ackBytes); err != nil {
		s.acksStale = true
		s.diskFailedLocked(err)
		return
	}
	s.ackBytes += ackEntry
}

func ackBytes(first, last uint64) [ackEntry]byte {
	var b [ackEntry]byte
	binary.LittleEndian.PutUint64(b[:], first)
	binary.LittleEndian.PutUint64(b[8:], last)
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	return b
}

// dropLocked marks entry i done by policy and records it.
func (s *Spool) dropLocked(i int) {
	s.killLocked(i)
	s.ackLocked(s.entries[i].index, s.entries[i].index)
}

func (s *Spool) expireLocked(now time.Time, drops *dropSet) {
	if s.opt.MaxAge < 0 {
		return
	}
	cutoff := now.Add(-s.opt.MaxAge).UnixNano()
	n := 0
	for i := range s.entries {
		e := &s.entries[i]
		if e.dead {
			continue
		}
		if e.spooled >= cutoff {
			break
		}
		s.dropLocked(i)
		n++
	}
	drops.add(DropAge, n)
}

// makeRoomLocked applies the full-spool policy so that size more bytes fit;
// false means the new record must be refused.
func (s *Spool) makeRoomLocked(size int64, drops *dropSet) bool {
	if s.liveBytes+size <= s.opt.MaxBytes {
		return true
	}
	if s.opt.Policy == PolicyDropNewest {
		return false
	}
	n := 0
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].index >= s.noCountsBelow })
	for ; i < len(s.entries) && s.liveBytes+size > s.opt.MaxBytes; i++ {
		if e := &s.entries[i]; !e.dead && e.kind == KindCounts {
			s.dropLocked(i)
			n++
		}
	}
	// Everything before i holds no live counts any more.
	if i > 0 {
		s.noCountsBelow = s.entries[i-1].index + 1
	}
	drops.add(DropCounts, n)
	return s.liveBytes+size <= s.opt.MaxBytes
}

// rotateLocked closes the current segment for appends and starts a new
// one. The old segment stays in dirty until the next sync.
func (s *Spool) rotateLocked() (*segment, error) {
	seg, err := s.newSegment(s.nextIndex)
	if err != nil {
		return nil, err
	}
	s.segs = append(s.segs, seg)
	return seg, nil
}
