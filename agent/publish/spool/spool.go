package spool

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// Fsync is when the spool forces records to stable storage.
type Fsync string

// Fsync policies.
const (
	FsyncAlways   Fsync = "always"
	FsyncInterval Fsync = "interval"
	FsyncNever    Fsync = "never"
)

// Policy is what happens when a new record does not fit in MaxBytes.
type Policy string

// Full-spool policies.
const (
	PolicyDropOldestCounts Policy = "drop_oldest_counts"
	PolicyDropNewest       Policy = "drop_newest"
)

// Drop reasons passed to Options.OnDrop.
const (
	DropFull    = "full"        // the new record was refused
	DropCounts  = "full_counts" // an old counts record made room
	DropAge     = "age"         // older than MaxAge
	DropCorrupt = "corrupt"     // unreadable on disk at Open
	DropTooBig  = "too_big"     // larger than MaxBytes on its own
)

// ErrFull is returned by Append when the full-spool policy refused the
// record. The drop has been reported through OnDrop already.
var ErrFull = errors.New("spool full: message dropped")

// Options configure a spool; the zero value is usable.
type Options struct {
	// MaxBytes bounds the queued records' size. It defaults to 64 MiB.
	MaxBytes int64
	// MaxAge drops records older than this. It defaults to 7 days;
	// negative means no limit.
	MaxAge time.Duration
	// Fsync defaults to FsyncAlways.
	Fsync Fsync
	// FsyncEvery is the period of FsyncInterval. It defaults to 1 second.
	FsyncEvery time.Duration
	// Policy defaults to PolicyDropOldestCounts.
	Policy Policy
	// SegmentBytes is the size at which a segment is closed. It defaults
	// to MaxBytes/16, within 64 KiB … 4 MiB.
	SegmentBytes int64
	// OnDrop, if set, is told about every drop (reason, count). It is
	// called without the spool's lock held and must not block.
	OnDrop func(reason string, n int)
	// Now is the clock; it defaults to time.Now.
	Now func() time.Time
}

func (o *Options) defaults() error {
	if o.MaxBytes == 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxBytes < 0 {
		return fmt.Errorf("max_bytes: must be positive, got %d", o.MaxBytes)
	}
	if o.MaxAge == 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	switch o.Fsync {
	case "":
		o.Fsync = FsyncAlways
	case FsyncAlways, FsyncInterval, FsyncNever:
	default:
		return fmt.Errorf("fsync: %q is not one of always, interval, never", o.Fsync)
	}
	if o.FsyncEvery <= 0 {
		o.FsyncEvery = time.Second
	}
	switch o.Policy {
	case "":
		o.Policy = PolicyDropOldestCounts
	case PolicyDropOldestCounts, PolicyDropNewest:
	default:
		return fmt.Errorf("policy: %q is not one of drop_oldest_counts, drop_newest", o.Policy)
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = min(max(o.MaxBytes/16, 64<<10), 4<<20)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Spool is an open spool directory. All methods are safe for concurrent use.
type Spool struct {
	dir  string
	opt  Options
	lock *os.File

	mu          sync.Mutex
	segs        []*segment // by first index; the last one takes appends
	entries     []entry    // by index; a dead prefix is trimmed
	live        int
	liveBytes   int64
	nextIndex   uint64
	seq         map[string]uint64
	acks        *os.File
	ackBytes    int64
	buf         []byte
	written     uint64 // appends so far (group-commit tickets)
	compactions int    // segment rewrites, for tests
	// noCountsBelow: no live counts record has a smaller index.
	noCountsBelow uint64
	closed        bool

	syncMu sync.Mutex
	synced uint64 // tickets known durable

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

type segment struct {
	first, last uint64 // index range written (last < first when empty)
	path        string
	f           *os.File
	size        int64
	live        int
	deadBytes   int64
}

type entry struct {
	index, seq uint64
	seg        *segment
	off        int64
	size       int32
	kind       Kind
	dead       bool
	spooled    int64
}

// Stats describe the queue.
type Stats struct {
	Messages  int           // records waiting for an ack
	Bytes     int64         // their encoded size
	DiskBytes int64         // segment files on disk (done records included)
	Oldest    time.Duration // age of the oldest waiting record, 0 if none
}

// Append assigns the next seq of camera, calls payload with it to get the
// message body, and writes the record. It returns once the record is
// durable as Options.Fsync says, with the record's Index and Seq filled.
// If payload fails nothing is written and no seq is used. ErrFull means the
// policy refused the record.
func (s *Spool) Append(camera string, kind Kind, topic string, retained bool, payload func(seq uint64) ([]byte, error)) (Record, error) {
	if len(camera) > maxField || len(topic) > maxField {
		return Record{}, fmt.Errorf("spool: camera or topic longer than %d bytes", maxField)
	}
	var drops dropSet
	defer drops.report(s.opt.OnDrop)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Record{}, errors.New("spool: closed")
	}
	now := s.opt.Now()
	s.expireLocked(now, &drops)
	r := Record{Index: s.nextIndex, Camera: camera, Seq: s.seq[camera] + 1, Kind: kind, Topic: topic, Retained: retained, Spooled: now}
	body, err := payload(r.Seq)
	if err != nil {
		s.mu.Unlock()
		return Record{}, err
	}
	r.Payload = body
	size := int64(encodedSize(camera, topic, len(body)))
	if size > s.opt.MaxBytes {
		s.mu.Unlock()
		drops.add(DropTooBig, 1)
		return Record{}, fmt.Errorf("spool: message of %d bytes exceeds max_bytes %d", size, s.opt.MaxBytes)
	}
	if !s.makeRoomLocked(size, &drops) {
		s.mu.Unlock()
		drops.add(DropFull, 1)
		return Record{}, ErrFull
	}
	if err := s.writeLocked(&r, size); err != nil {
		s.mu.Unlock()
		return Record{}, err
	}
	s.written++
	ticket := s.written
	s.mu.Unlock()
	if s.opt.Fsync == FsyncAlways {
		if err := s.syncTo(ticket); err != nil {
			return Record{}, err
		}
	}
	return r, nil
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
		// Leave no partial record behind for the next append.
		_ = seg.f.Truncate(off)
		return fmt.Errorf("spool: write %s: %w", seg.path, err)
	}
	if seg.last < seg.first {
		seg.first = r.Index
	}
	seg.last = r.Index
	seg.size += size
	seg.live++
	s.entries = append(s.entries, entry{index: r.Index, seq: r.Seq, seg: seg, off: off, size: int32(size), kind: r.Kind, spooled: r.Spooled.UnixNano()})
	s.live++
	s.liveBytes += size
	s.nextIndex = r.Index + 1
	s.seq[r.Camera] = r.Seq
	return nil
}

// syncTo makes every append up to ticket durable, sharing one fsync among
// concurrent callers.
func (s *Spool) syncTo(ticket uint64) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced >= ticket {
		return nil
	}
	s.mu.Lock()
	w := s.written
	f := s.segs[len(s.segs)-1].f
	s.mu.Unlock()
	// Segments before the last were synced when rotated.
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("spool: fsync: %w", err)
	}
	s.synced = w
	return nil
}

// Next returns the first waiting record with an index above after, or false
// if there is none. Use after = 0 to start from the oldest. A record that
// cannot be read back is dropped (reported as DropCorrupt) and skipped.
func (s *Spool) Next(after uint64) (Record, bool, error) {
	var drops dropSet
	defer drops.report(s.opt.OnDrop)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Record{}, false, errors.New("spool: closed")
	}
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].index > after })
	for ; i < len(s.entries); i++ {
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
	r, n, err := readFrame(buf)
	if err == nil && (n != len(buf) || r.Index != e.index) {
		err = errTorn
	}
	return r, err
}

// Ack marks the record done (the broker has it) and frees its space.
// Acking an unknown or already done index does nothing.
func (s *Spool) Ack(index uint64) error {
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
	if err := s.appendAckLocked(index, index); err != nil {
		return err
	}
	return s.tidyLocked()
}

// Stats returns the queue's current size and age.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Messages: s.live, Bytes: s.liveBytes}
	for _, seg := range s.segs {
		st.DiskBytes += seg.size
	}
	for _, e := range s.entries {
		if !e.dead {
			st.Oldest = max(s.opt.Now().Sub(time.Unix(0, e.spooled)), 0)
			break
		}
	}
	return st
}

// LastSeq returns the last seq given to camera's records (0 if none).
func (s *Spool) LastSeq(camera string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq[camera]
}

// Expire drops records older than MaxAge now (Append does it too).
func (s *Spool) Expire() error {
	var drops dropSet
	defer drops.report(s.opt.OnDrop)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.expireLocked(s.opt.Now(), &drops)
	return s.tidyLocked()
}

// Sync forces everything appended so far to stable storage.
func (s *Spool) Sync() error {
	s.mu.Lock()
	t := s.written
	s.mu.Unlock()
	return s.syncTo(t)
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
		err = s.Sync()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if e := s.saveStateLocked(); err == nil {
		err = e
	}
	if s.opt.Fsync != FsyncNever {
		if e := s.acks.Sync(); err == nil {
			err = e
		}
	}
	s.acks.Close()
	for _, seg := range s.segs {
		seg.f.Close()
	}
	s.lock.Close() // releases the flock
	return err
}

// dropSet collects drops made under the lock, to report them after.
type dropSet map[string]int

func (d *dropSet) add(reason string, n int) {
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
