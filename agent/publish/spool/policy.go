package spool

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
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

// appendAckLocked records that first…last are done. It is not synced: a
// lost ack only means a duplicate delivery.
func (s *Spool) appendAckLocked(first, last uint64) error {
	var b [ackEntry]byte
	binary.LittleEndian.PutUint64(b[:], first)
	binary.LittleEndian.PutUint64(b[8:], last)
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	if _, err := s.acks.WriteAt(b[:], s.ackBytes); err != nil {
		return fmt.Errorf("spool: write acks.log: %w", err)
	}
	s.ackBytes += ackEntry
	return nil
}

// dropLocked marks entry i done by policy and records it. A failed ack
// write is not returned: the record would come back after a restart and be
// sent again, which is the safe side.
func (s *Spool) dropLocked(i int) {
	s.killLocked(i)
	_ = s.appendAckLocked(s.entries[i].index, s.entries[i].index)
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
	if n > 0 {
		drops.add(DropAge, n)
		_ = s.tidyLocked()
	}
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
	if n > 0 {
		drops.add(DropCounts, n)
		_ = s.tidyLocked()
	}
	return s.liveBytes+size <= s.opt.MaxBytes
}

// tidyLocked trims done entries, deletes segments without live records,
// compacts segments that are mostly holes and rewrites a long acks.log.
func (s *Spool) tidyLocked() error {
	k := 0
	for k < len(s.entries) && s.entries[k].dead {
		k++
	}
	if k > 0 {
		s.entries = s.entries[k:]
		if cap(s.entries) > 1024 && len(s.entries) < cap(s.entries)/4 {
			s.entries = append([]entry(nil), s.entries...)
		}
	}
	var keep []*segment
	removed := false
	for i, seg := range s.segs {
		if i == len(s.segs)-1 || seg.live > 0 {
			keep = append(keep, seg)
			continue
		}
		if !removed {
			// Seq and index must outlive the records that carried them.
			if err := s.saveStateLocked(); err != nil {
				return err
			}
			removed = true
		}
		seg.f.Close()
		if err := os.Remove(seg.path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("spool: %w", err)
		}
	}
	if removed {
		s.segs = keep
		s.syncDir()
	}
	for _, seg := range s.segs[:len(s.segs)-1] {
		// Acks in order leave a done prefix, which costs nothing to keep
		// until the segment is deleted; only holes are worth a rewrite.
		if seg.live > 0 && seg.deadBytes > seg.size/2 && s.firstLiveOffLocked(seg) < seg.deadBytes {
			if err := s.compactLocked(seg); err != nil {
				return err
			}
		}
	}
	if s.ackBytes > compactAcksAt {
		return s.rewriteAcksLocked()
	}
	return nil
}

// firstLiveOffLocked is the offset of seg's first live record.
func (s *Spool) firstLiveOffLocked(seg *segment) int64 {
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].index >= seg.first })
	for ; i < len(s.entries) && s.entries[i].seg == seg; i++ {
		if !s.entries[i].dead {
			return s.entries[i].off
		}
	}
	return seg.size
}

// rotateLocked closes the current segment for appends and starts a new one.
func (s *Spool) rotateLocked() (*segment, error) {
	if s.opt.Fsync != FsyncNever {
		if err := s.segs[len(s.segs)-1].f.Sync(); err != nil {
			return nil, fmt.Errorf("spool: fsync: %w", err)
		}
	}
	seg, err := s.newSegment(s.nextIndex)
	if err != nil {
		return nil, err
	}
	s.segs = append(s.segs, seg)
	return seg, nil
}

func (s *Spool) newSegment(first uint64) (*segment, error) {
	p := filepath.Join(s.dir, fmt.Sprintf("seg-%020d.log", first))
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.syncDir()
	return &segment{first: first, last: first - 1, path: p, f: f}, nil
}

// compactLocked rewrites seg with only its live records.
func (s *Spool) compactLocked(seg *segment) error {
	tmp := seg.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: compact: %w", err)
	}
	var (
		off  int64
		offs []int64
		buf  []byte
	)
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("spool: compact %s: %w", seg.path, err)
	}
	for i := range s.entries {
		e := &s.entries[i]
		if e.seg != seg || e.dead {
			continue
		}
		buf = append(buf[:0], make([]byte, e.size)...)
		if _, err := seg.f.ReadAt(buf, e.off); err != nil {
			return fail(err)
		}
		if _, err := f.WriteAt(buf, off); err != nil {
			return fail(err)
		}
		offs = append(offs, off)
		off += int64(e.size)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, seg.path); err != nil {
		return fail(err)
	}
	s.syncDir()
	seg.f.Close()
	seg.f = f
	j := 0
	for i := range s.entries {
		if e := &s.entries[i]; e.seg == seg && !e.dead {
			e.off = offs[j]
			j++
		}
	}
	seg.size = off
	seg.deadBytes = 0
	s.compactions++
	return nil
}

// rewriteAcksLocked replaces acks.log with the done ranges of the segments
// that still exist.
func (s *Spool) rewriteAcksLocked() error {
	tmp := filepath.Join(s.dir, "acks.log.tmp")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	old, oldBytes := s.acks, s.ackBytes
	s.acks, s.ackBytes = f, 0
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		s.acks, s.ackBytes = old, oldBytes
		return fmt.Errorf("spool: rewrite acks.log: %w", err)
	}
	i := 0
	for _, seg := range s.segs {
		next := seg.first
		for ; i < len(s.entries) && s.entries[i].index <= seg.last; i++ {
			e := &s.entries[i]
			if e.dead {
				continue
			}
			if e.index > next {
				if err := s.appendAckLocked(next, e.index-1); err != nil {
					return fail(err)
				}
			}
			next = e.index + 1
		}
		if seg.last >= seg.first && next <= seg.last {
			if err := s.appendAckLocked(next, seg.last); err != nil {
				return fail(err)
			}
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "acks.log")); err != nil {
		return fail(err)
	}
	s.syncDir()
	old.Close()
	return nil
}

func (s *Spool) syncDir() {
	if s.opt.Fsync == FsyncNever {
		return
	}
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
