package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// Spool is an open spool directory. All methods are safe for concurrent use.
//
// Locking: mu guards the fields below it; methods named …Locked run with mu
// held and never fsync. Work that fsyncs (group commit, state.json,
// compaction, the acks.log rewrite) runs outside mu, in syncOnce and in
// maintain (which holds maintMu, so one maintenance runs at a time).
type Spool struct {
	dir  string
	opt  Options
	lock *os.File
	// Spool clock: base at Open (see startClock) plus monotonic time
	// since then (see "Clocks" in the package documentation).
	base   time.Time
	mono0  time.Duration
	boot   string // Options.BootID at Open
	newest int64  // newest record found at Open (unix ns)

	maintMu sync.Mutex

	mu        sync.Mutex
	segs      []*segment // by first index; the last one takes appends
	entries   []entry    // by index; a dead prefix is trimmed
	live      int
	liveBytes int64
	nextIndex uint64
	seq       map[string]uint64
	gone      [][2]uint64 // index ranges of deleted segments (state.json "done")
	acks      *os.File
	ackBytes  int64
	// ackTail collects acks made while acks.log is being rewritten; nil
	// otherwise.
	ackTail [][2]uint64
	// acksStale: an ack could not be written, so acks.log lacks a done
	// index until it is rewritten; compaction waits for that.
	acksStale bool
	buf       []byte
	durable   uint64     // every record up to this index is durable
	dirty     []*segment // written since the last sync
	dirDirty  bool       // a file was created or renamed since the last sync
	gen       *syncGen   // the sync that starts next
	health    Health
	diskFails int  // write failures so far
	reserve   bool // the reserve file exists
	// maintWanted: maintain was called while another one ran.
	maintWanted bool
	// stateUnsaved: state.json is behind in a way a crash must not lose:
	// a refused record used a seq that no file holds yet (a crash would
	// give it again and hide the gap), or the clock anchor is from another
	// boot. Maintenance saves it and tries again after a failure.
	stateUnsaved bool
	// noCountsBelow: no live counts record has a smaller index.
	noCountsBelow uint64
	compactions   int // segment rewrites, for tests
	closed        bool

	syncReq   chan struct{}
	maintReq  chan struct{}
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

type segment struct {
	first, last uint64 // index range written (last < first when empty)
	path        string
	v1          bool // format 1 (read only: appends go to format 2)
	f           *os.File
	size        int64
	live        int
	deadBytes   int64
	dirty       bool // in Spool.dirty
}

type entry struct {
	index, seq uint64
	seg        *segment
	off        int64
	size       int32
	kind       Kind
	dead       bool
	spooled    int64 // spool clock, unix ns
}

// Stats describe the queue.
type Stats struct {
	Messages  int           // records waiting for an ack
	Bytes     int64         // their encoded size
	DiskBytes int64         // segment files on disk (done records included)
	Oldest    time.Duration // age of the oldest waiting record, 0 if none
}

// Health is whether the disk takes the spool's writes.
type Health struct {
	// Err is why the last write or fsync failed; nil once one succeeded
	// again.
	Err error
	// Since is when writes started failing (wall clock).
	Since time.Time
}

// now is the spool clock: it never goes back nor jumps with the wall clock.
func (s *Spool) now() time.Time {
	return s.base.Add(s.opt.Monotonic() - s.mono0)
}

// Append assigns the next seq of camera, calls payload with it to get the
// message body, and writes the record. It returns once the record is
// durable as Options.Fsync says, with the record's Index and Seq filled.
//
// If payload fails nothing is written and no seq is used. A record that is
// refused after its seq was given (ErrFull, ErrDisk, too big) keeps that
// seq used, so subscribers see the gap; the drop is reported through
// OnDrop. If ctx ends before the record is durable, Append returns the
// record with ctx's error: it stays queued and may still be sent.
func (s *Spool) Append(ctx context.Context, camera string, kind Kind, topic string, retained bool, payload func(seq uint64) ([]byte, error)) (Record, error) {
	if len(camera) > maxField || len(topic) > maxField {
		return Record{}, fmt.Errorf("spool: camera or topic longer than %d bytes", maxField)
	}
	var drops dropSet
	defer drops.report(s.opt.OnDrop)
	defer s.requestMaintain()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Record{}, errors.New("spool: closed")
	}
	now := s.now()
	s.expireLocked(now, &drops)
	r := Record{Index: s.nextIndex, Camera: camera, Seq: s.seq[camera] + 1, Kind: kind, Topic: topic, Retained: retained, Spooled: now}
	body, err := payload(r.Seq)
	if err != nil {
		s.mu.Unlock()
		return Record{}, err
	}
	r.Payload = body
	s.seq[camera] = r.Seq
	size := int64(encodedSize(camera, topic, len(body)))
	if size > s.opt.MaxBytes {
		s.stateUnsaved = true
		s.mu.Unlock()
		drops.add(DropTooBig, 1)
		return Record{}, fmt.Errorf("spool: message of %d bytes exceeds max_bytes %d", size, s.opt.MaxBytes)
	}
	if !s.makeRoomLocked(size, &drops) {
		s.stateUnsaved = true
		s.mu.Unlock()
		drops.add(DropFull, 1)
		return Record{}, ErrFull
	}
	if err := s.writeLocked(&r, size); err != nil {
		s.stateUnsaved = true
		s.diskFailedLocked(err)
		s.mu.Unlock()
		drops.add(diskReason(err), 1)
		return Record{}, fmt.Errorf("%w: %w", ErrDisk, err)
	}
	var g *syncGen
	notify := false
	switch s.opt.Fsync {
	case FsyncNever:
		s.durable, notify = r.Index, true
		s.health = Health{}
	case FsyncAlways:
		g = s.gen
	}
	s.mu.Unlock()
	if notify && s.opt.OnDurable != nil {
		s.opt.OnDurable()
	}
	if g == nil {
		return r, nil
	}
	s.requestSync()
	select {
	case <-g.done:
		if g.err != nil {
			return Record{}, fmt.Errorf("%w: fsync: %w", ErrDisk, g.err)
		}
		return r, nil
	case <-ctx.Done():
		return r, fmt.Errorf("spool: record %d not yet durable (it stays queued and may still be sent): %w", r.Index, ctx.Err())
	}
}

func (s *Spool) writeLocked(r *Record, size int64) error {
	seg := s.segs[len(s.segs)-1]
	if seg.size > 0 && seg.size+size > s.opt.SegmentBytes {
		var err error
		if seg, err = s.rotateLocked(); err != nil {
			return err
		}
	}
	s.buf = encode(s.buf[:0], r)
	off := seg.size
	if _, err := seg.f.WriteAt(s.buf, off); err != nil {
		// Leave no partial record behind for the next append. If even
		// the truncate fails, the next append overwrites the same bytes.
		_ = seg.f.Truncate(off)
		return err
	}
	if seg.last < seg.first {
		seg.first = r.Index
	}
	seg.last = r.Index
	seg.size += size
	seg.live++
	if !seg.dirty {
		seg.dirty = true
		s.dirty = append(s.dirty, seg)
	}
	s.entries = append(s.entries, entry{index: r.Index, seq: r.Seq, seg: seg, off: off, size: int32(size), kind: r.Kind, spooled: r.Spooled.UnixNano()})
	s.live++
	s.liveBytes += size
	s.nextIndex = r.Index + 1
	return nil
}

// Next returns the first waiting durable record with an index above after,
// or false if there is none. Use after = 0 to start from the oldest. A
// record that cannot be read back is dropped (reported as DropCorrupt) and
// skipped.
func (s *Spool) Next(after uint64) (Record, bool, error) {
	var drops dropSet
	defer drops.report(s.opt.OnDrop)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Record{}, false, errors.New("spool: closed")
	}
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].index > after })
	for ; i < len(s.entries) && s.entries[i].index <= s.durable; i++ {
		e := &s.entries[i]
		if e.dead {
			continue
		}
		r, err := s.readLocked(e)
		if err != nil {
			s.dropLocked(i)
			drops.add(DropCorrupt, 1)
			continue
		}
		return r, true, nil
	}
	return Record{}, false, nil
}

func (s *Spool) readLocked(e *entry) (Record, error) {
	buf := make([]byte, e.size)
	if _, err := e.seg.f.ReadAt(buf, e.off); err != nil {
		return Record{}, err
	}
	read := readFrame
	if e.seg.v1 {
		read = readFrameV1
	}
	r, n, err := read(buf)
	if err == nil && (n != len(buf) || r.Index != e.index) {
		err = errTorn
	}
	return r, err
}

// Ack marks the record done (the broker has it) and frees its space.
// Acking an unknown or already done index does nothing. A failed write of
// the ack is not returned: it only means the message is sent again after a
// restart; Health reports the disk.
func (s *Spool) Ack(index uint64) error {
	defer s.requestMaintain()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("spool: closed")
	}
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].index >= index })
	if i == len(s.entries) || s.entries[i].index != index || s.entries[i].dead {
		return nil
	}
	s.killLocked(i)
	s.ackLocked(index, index)
	return nil
}

// Stats returns the queue's current size and age.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Messages: s.live, Bytes: s.liveBytes}
	for _, seg := range s.segs {
		st.DiskBytes += seg.size
	}
	now := s.now().UnixNano()
	for _, e := range s.entries {
		if !e.dead {
			st.Oldest = time.Duration(max(now-e.spooled, 0))
			break
		}
	}
	return st
}

// Health returns the disk's state as the spool last saw it.
func (s *Spool) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

// LastSeq returns the last seq given to camera's records (0 if none).
func (s *Spool) LastSeq(camera string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq[camera]
}

// Expire drops records older than MaxAge now (Append does it too) and
// tidies the disk, unless a tidy is under way (that one goes round again).
// Unlike Append and Ack it may wait for the disk. Its error is a failed
// tidy (also kept in Health).
func (s *Spool) Expire() error {
	var drops dropSet
	defer drops.report(s.opt.OnDrop)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.expireLocked(s.now(), &drops)
	s.mu.Unlock()
	return s.maintain(false)
}

// Sync forces everything appended so far to stable storage and makes it
// available to Next.
func (s *Spool) Sync() error {
	if s.opt.Fsync == FsyncNever {
		return nil
	}
	return s.syncOnce()
}

// Close syncs (unless Fsync is FsyncNever), saves the state and closes the
// files. The spool cannot be used afterwards.
func (s *Spool) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Spool) close() error {
	close(s.stop)
	s.wg.Wait()
	var err error
	if s.opt.Fsync != FsyncNever {
		err = s.syncOnce()
	}
	s.maintMu.Lock() // no maintenance is left half done
	defer s.maintMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	// An Append that wrote after the last sync waits on this commit,
	// which no sync will run any more.
	s.gen.err = errors.New("spool: closed before the record was synced")
	close(s.gen.done)
	if e := s.saveState(s.stateLocked(nil)); err == nil {
		err = e
	}
	if s.opt.Fsync != FsyncNever {
		if e := s.acks.Sync(); err == nil {
			err = e
		}
	}
	s.closeFiles()
	return err
}

func (s *Spool) closeFiles() {
	if s.acks != nil {
		s.acks.Close()
	}
	for _, seg := range s.segs {
		seg.f.Close()
	}
	s.lock.Close() // releases the flock
}

// dropSet collects drops made under the lock, to report them after.
type dropSet map[string]int

func (d *dropSet) add(reason string, n int) {
	if n == 0 {
		return
	}
	if *d == nil {
		*d = dropSet{}
	}
	(*d)[reason] += n
}

func (d *dropSet) report(fn func(string, int)) {
	if fn == nil {
		return
	}
	for r, n := range *d {
		fn(r, n)
	}
}
