package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// plan is the disk work maintain found under mu, to do outside it.
type plan struct {
	state   *state     // saved first: seq and index outlive the segments
	remove  []*segment // every record done
	compact *segment   // mostly holes
	copies  []span     // compact's live records when planned
	acks    [][2]uint64
	rewrite bool // acks.log is rewritten with acks
	seq     bool // state is saved because of stateUnsaved
}

type span struct {
	index uint64
	off   int64
	size  int32
}

// requestMaintain asks maintLoop for a maintenance round. Append and Ack
// never run one themselves: it fsyncs, and a stuck disk must not hold
// the publisher's Ack (or a durable Append past its context).
func (s *Spool) requestMaintain() {
	select {
	case s.maintReq <- struct{}{}:
	default: // a round is asked for already; it will see this change too
	}
}

// maintLoop runs the maintenance rounds asked for by Append and Ack.
func (s *Spool) maintLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.maintReq:
			_ = s.maintain(false) // errors are kept in Health and retried next round
		}
	}
}

// maintain deletes segments whose records are all done, compacts one
// segment that is mostly holes and rewrites a long or stale acks.log. It
// runs outside mu (it fsyncs) and one at a time; a call that finds another
// running returns at once, and that one goes round again; unless wait is
// set, then it waits for that one and runs its own round.
func (s *Spool) maintain(wait bool) error {
	if wait {
		s.maintMu.Lock()
	} else if !s.maintMu.TryLock() {
		s.mu.Lock()
		s.maintWanted = true
		s.mu.Unlock()
		return nil
	}
	defer s.maintMu.Unlock()
	var err error
	for round := 0; round < 4; round++ {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil
		}
		s.maintWanted = false
		p := s.planLocked()
		s.mu.Unlock()
		err = s.carryOut(p)
		s.mu.Lock()
		again := s.maintWanted
		s.mu.Unlock()
		if !again {
			break
		}
	}
	return err
}

func (s *Spool) planLocked() plan {
	var p plan
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
	last := len(s.segs) - 1
	for _, seg := range s.segs[:last] {
		if seg.live == 0 {
			p.remove = append(p.remove, seg)
		}
	}
	// A full or failing disk has no room for copies; freeing comes first.
	healthy := s.health.Err == nil
	if healthy && !s.acksStale {
		for _, seg := range s.segs[:last] {
			// Acks in order leave a done prefix, which costs nothing to
			// keep until the segment is deleted; only holes are worth a
			// rewrite.
			if seg.live > 0 && seg.deadBytes > seg.size/2 && s.firstLiveOffLocked(seg) < seg.deadBytes {
				p.compact = seg
				for i := s.firstAbove(seg.first - 1); i < len(s.entries) && s.entries[i].seg == seg; i++ {
					if e := &s.entries[i]; !e.dead {
						p.copies = append(p.copies, span{e.index, e.off, e.size})
					}
				}
				break
			}
		}
	}
	if healthy && s.ackTail == nil && (s.acksStale || s.ackBytes > compactAcksAt) {
		p.rewrite, p.acks = true, s.doneRangesLocked()
		s.ackTail = [][2]uint64{}
	}
	if len(p.remove) > 0 || p.compact != nil || s.stateUnsaved {
		st := s.stateLocked(p.remove)
		p.state, p.seq = &st, s.stateUnsaved
		s.stateUnsaved = false
	}
	return p
}

func (s *Spool) carryOut(p plan) error {
	var errs []error
	if p.state != nil {
		save := s.saveStateReserve
		if len(p.remove) == 0 && p.compact == nil {
			// Only for stateUnsaved: the reserve is kept for saves that
			// free the disk.
			save = s.saveState
		}
		if err := save(*p.state); err != nil {
			errs = append(errs, err)
			p.remove, p.compact = nil, nil
			if p.seq {
				s.mu.Lock()
				s.stateUnsaved = true // the next round tries again
				s.mu.Unlock()
			}
		}
	}
	if len(p.remove) > 0 {
		s.removeSegments(p.remove)
	}
	if p.compact != nil {
		if err := s.compact(p.compact, p.copies); err != nil {
			errs = append(errs, err)
		}
	}
	if p.rewrite {
		if err := s.rewriteAcks(p.acks); err != nil {
			errs = append(errs, err)
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		s.mu.Lock()
		s.diskFailedLocked(err)
		s.mu.Unlock()
	}
	return err
}

// saveStateReserve saves st; when the disk is full it gives up the reserve
// file and tries again, since saving the state is what allows delivered
// segments to be deleted, which frees the disk.
func (s *Spool) saveStateReserve(st state) error {
	err := s.saveState(st)
	if err != nil && (errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)) && s.releaseReserve() {
		err = s.saveState(st)
	}
	return err
}

func (s *Spool) removeSegments(remove []*segment) {
	s.mu.Lock()
	gone := map[*segment]bool{}
	for _, seg := range remove {
		gone[seg] = seg.live == 0 && seg != s.segs[len(s.segs)-1]
	}
	var keep []*segment
	var paths []string
	for _, seg := range s.segs {
		if gone[seg] {
			seg.f.Close()
			paths = append(paths, seg.path)
			s.gone = addRange(s.gone, seg.first, max(seg.last, seg.first))
			continue
		}
		keep = append(keep, seg)
	}
	s.segs = keep
	s.gone = pruneRanges(s.gone, s.segs[0].first)
	s.mu.Unlock()
	for _, p := range paths {
		// A segment that cannot be removed (read-only disk) holds only
		// done records; after a restart they are skipped or, if their
		// acks were lost too, sent again.
		_ = os.Remove(p)
	}
	// Not durable yet only means a deleted segment may come back after a
	// power cut, with the same result as above.
	_ = s.syncDir()
}

// firstLiveOffLocked is the offset of seg's first live record.
func (s *Spool) firstLiveOffLocked(seg *segment) int64 {
	for i := s.firstAbove(seg.first - 1); i < len(s.entries) && s.entries[i].seg == seg; i++ {
		if !s.entries[i].dead {
			return s.entries[i].off
		}
	}
	return seg.size
}

// compact rewrites seg with the records that were live when planned. The
// copy is fsynced before it replaces seg, so records that were not yet
// durable in seg are durable in the copy.
func (s *Spool) compact(seg *segment, copies []span) error {
	tmp := seg.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: compact: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp) // best effort: leftovers are removed at the next Open
		return fmt.Errorf("spool: compact %s: %w", seg.path, err)
	}
	var (
		off  int64
		offs = make([]int64, len(copies))
		buf  []byte
	)
	for i, c := range copies {
		buf = append(buf[:0], make([]byte, c.size)...)
		// seg.f is swapped or closed only by maintenance, which this is.
		if _, err := seg.f.ReadAt(buf, c.off); err != nil {
			return fail(err)
		}
		if _, err := f.WriteAt(buf, off); err != nil {
			return fail(err)
		}
		offs[i] = off
		off += int64(c.size)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, seg.path); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	var dead int64
	for i, c := range copies {
		j := sort.Search(len(s.entries), func(j int) bool { return s.entries[j].index >= c.index })
		if j < len(s.entries) && s.entries[j].index == c.index {
			s.entries[j].off = offs[i]
			if !s.entries[j].dead {
				continue
			}
		}
		dead += int64(c.size) // done while the copy was made
	}
	old := seg.f
	seg.f, seg.size, seg.deadBytes = f, off, dead
	s.compactions++
	s.mu.Unlock()
	old.Close()
	// Not durable yet: after a power cut the old file is found instead,
	// which holds every record of the copy too.
	_ = s.syncDir()
	return nil
}

// doneRangesLocked is acks.log's content rewritten from memory: every
// index from the first segment's first up to the last one given that is
// not waiting.
func (s *Spool) doneRangesLocked() [][2]uint64 {
	var out [][2]uint64
	next := s.segs[0].first
	for _, e := range s.entries {
		if e.dead {
			continue
		}
		if e.index > next {
			out = append(out, [2]uint64{next, e.index - 1})
		}
		next = e.index + 1
	}
	if next < s.nextIndex {
		out = append(out, [2]uint64{next, s.nextIndex - 1})
	}
	return out
}

// rewriteAcks replaces acks.log with ranges plus the acks made meanwhile.
func (s *Spool) rewriteAcks(ranges [][2]uint64) error {
	p := filepath.Join(s.dir, "acks.log")
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		s.mu.Lock()
		s.ackTail = nil
		s.mu.Unlock()
		return fmt.Errorf("spool: rewrite acks.log: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp) // best effort: leftovers are removed at the next Open
		s.mu.Lock()
		s.ackTail = nil
		s.mu.Unlock()
		return fmt.Errorf("spool: rewrite acks.log: %w", err)
	}
	buf := make([]byte, 0, len(ranges)*ackEntry)
	for _, r := range ranges {
		b := ackBytes(r[0], r[1])
		buf = append(buf, b[:]...)
	}
	if _, err := f.Write(buf); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	n := int64(len(buf))
	for _, r := range s.ackTail {
		b := ackBytes(r[0], r[1])
		if _, err := f.WriteAt(b[:], n); err != nil {
			s.mu.Unlock()
			return fail(err)
		}
		n += ackEntry
	}
	if err := os.Rename(tmp, p); err != nil {
		s.mu.Unlock()
		return fail(err)
	}
	old := s.acks
	s.acks, s.ackBytes, s.ackTail, s.acksStale = f, n, nil, false
	s.mu.Unlock()
	old.Close()
	// Not durable yet: after a power cut the old acks.log is found, which
	// names fewer done records (sent again at worst).
	_ = s.syncDir()
	return nil
}

// addRange adds first…last to sorted, merged ranges.
func addRange(rs [][2]uint64, first, last uint64) [][2]uint64 {
	rs = append(rs, [2]uint64{first, last})
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}
