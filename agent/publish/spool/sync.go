package spool

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// syncGen is one group commit: done is closed when the fsync that covers
// every record written before it started has finished, with err set.
type syncGen struct {
	done chan struct{}
	err  error
}

func newGen() *syncGen { return &syncGen{done: make(chan struct{})} }

func (s *Spool) requestSync() {
	select {
	case s.syncReq <- struct{}{}:
	default: // a sync is requested already; it will cover this record
	}
}

// syncLoop runs the group commits: on request (FsyncAlways) or every
// FsyncEvery (FsyncInterval).
func (s *Spool) syncLoop() {
	defer s.wg.Done()
	var tick <-chan time.Time
	if s.opt.Fsync == FsyncInterval {
		t := time.NewTicker(s.opt.FsyncEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-s.stop:
			return
		case <-s.syncReq:
		case <-tick:
		}
		_ = s.syncOnce() // a failure is counted, kept in Health and told to the appenders waiting
	}
}

// syncOnce fsyncs what was written since the last sync, outside mu, and
// then lets Next hand those records out. If the fsync fails the records
// it covered are dropped (DropDiskFull or DropDiskError): Linux may have
// thrown their pages away, so a later fsync that succeeds proves nothing.
func (s *Spool) syncOnce() error {
	var drops dropSet
	defer drops.report(s.opt.OnDrop)
	s.mu.Lock()
	g := s.gen
	s.gen = newGen()
	hi := s.nextIndex - 1
	files := make([]*os.File, 0, len(s.dirty))
	for _, seg := range s.dirty {
		seg.dirty = false
		files = append(files, seg.f)
	}
	s.dirty = nil
	dir := s.dirDirty
	s.dirDirty = false
	fails := s.diskFails
	s.mu.Unlock()

	var err error
	for _, f := range files {
		// A file closed meanwhile belonged to a segment that was deleted
		// (every record done) or replaced by its compacted copy, which
		// was fsynced before it replaced it.
		if e := f.Sync(); e != nil && !errors.Is(e, os.ErrClosed) && err == nil {
			err = e
		}
	}
	if dir && err == nil {
		err = s.syncDir()
	}

	s.mu.Lock()
	advanced := false
	if err == nil {
		advanced = hi > s.durable
		s.durable = max(s.durable, hi)
		if s.diskFails == fails {
			s.health = Health{}
		}
	} else {
		n := 0
		for i := s.firstAbove(s.durable); i < len(s.entries) && s.entries[i].index <= hi; i++ {
			if !s.entries[i].dead {
				s.dropLocked(i)
				n++
			}
		}
		drops.add(diskReason(err), n)
		s.durable = max(s.durable, hi)
		s.diskFailedLocked(err)
		s.stateUnsaved = s.stateUnsaved || n > 0 // their pages may be gone
	}
	g.err = err
	close(g.done)
	s.mu.Unlock()
	if advanced && s.opt.OnDurable != nil {
		s.opt.OnDurable()
	}
	if err != nil {
		s.requestMaintain()
	}
	return err
}

// firstAbove is the position of the first entry with an index above idx.
func (s *Spool) firstAbove(idx uint64) int {
	lo, hi := 0, len(s.entries)
	for lo < hi {
		m := (lo + hi) / 2
		if s.entries[m].index > idx {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (s *Spool) diskFailedLocked(err error) {
	s.diskFails++
	if s.health.Err == nil {
		s.health.Since = time.Now()
	}
	s.health.Err = err
}

// diskReason names a write failure for OnDrop.
func diskReason(err error) string {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return DropDiskFull
	}
	return DropDiskError
}

func (s *Spool) syncDir() error {
	if s.opt.Fsync == FsyncNever {
		return nil
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// reserveBytes is the size of the reserve file: enough for state.json
// and its temporary copy many times over.
const reserveBytes = 64 << 10

// makeReserve writes the reserve file, a real write (and fsync) of
// reserveBytes, so that it also proves the disk takes writes.
func (s *Spool) makeReserve() error {
	p := filepath.Join(s.dir, "reserve")
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	buf := make([]byte, reserveBytes)
	for i := range buf {
		buf[i] = 0xa5 // not zeros: no filesystem may store it sparse
	}
	_, err = f.Write(buf)
	if err == nil && s.opt.Fsync != FsyncNever {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp) // best effort: leftovers are removed at the next Open
		return err
	}
	return nil
}

// releaseReserve deletes the reserve file to free its space; false if
// there was none.
func (s *Spool) releaseReserve() bool {
	s.mu.Lock()
	had := s.reserve
	s.reserve = false
	s.mu.Unlock()
	return had && os.Remove(filepath.Join(s.dir, "reserve")) == nil
}

// Probe checks that the disk takes writes again after a failure, and
// recreates the reserve file when it was used up. It does I/O only while
// Health reports an error or the reserve is missing, so it may be called
// often (the publisher calls it every second). A success clears Health.
func (s *Spool) Probe() error {
	s.mu.Lock()
	need := s.health.Err != nil || !s.reserve
	fails := s.diskFails
	closed := s.closed
	s.mu.Unlock()
	if !need || closed {
		return nil
	}
	s.maintMu.Lock()
	err := s.makeReserve()
	s.maintMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.health.Err == nil {
			s.health.Since = time.Now()
		}
		s.health.Err = err
		return err
	}
	s.reserve = true
	if s.diskFails == fails {
		s.health = Health{}
	}
	return nil
}
