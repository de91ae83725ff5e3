package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Open opens (creating if needed) the spool in dir, recovers what a
// previous process left there and returns it ready for Append. Only one
// process may have a spool open; a second Open fails while the first
// holds it. The caller must Close it.
func Open(dir string, opt Options) (*Spool, error) {
	if dir == "" {
		return nil, errors.New("spool: dir is empty")
	}
	if err := opt.defaults(); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("spool %s: in use by another process (%v)", dir, err)
	}
	s := &Spool{
		dir: dir, opt: opt, lock: lock, nextIndex: 1, seq: map[string]uint64{},
		gen: newGen(), syncReq: make(chan struct{}, 1), maintReq: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	var drops dropSet
	saved, err := s.recover(&drops)
	if err != nil {
		s.closeFiles()
		return nil, err
	}
	// Records found on disk may still be only in the page cache (the
	// previous process was killed): make them durable before Next hands
	// them out.
	if opt.Fsync != FsyncNever {
		for _, seg := range s.segs {
			if err := seg.f.Sync(); err != nil {
				s.closeFiles()
				return nil, fmt.Errorf("spool: fsync %s: %w", seg.path, err)
			}
		}
	}
	s.durable = s.nextIndex - 1
	if !s.startClock(saved) {
		s.stateUnsaved = true // anchor the clock in this boot before a crash
	}
	s.reserve = s.makeReserve() == nil // a full disk: Probe tries again
	s.mu.Lock()
	s.expireLocked(s.now(), &drops)
	s.mu.Unlock()
	_ = s.maintain(true) // a failure is kept in Health and retried on the next call
	drops.report(s.opt.OnDrop)
	s.wg.Add(1)
	go s.maintLoop()
	if s.opt.Fsync != FsyncNever {
		s.wg.Add(1)
		go s.syncLoop()
	}
	return s, nil
}

// segFile is a segment file found at Open.
type segFile struct {
	path  string
	first uint64
	v1    bool
}

func (s *Spool) recover(drops *dropSet) (clockAnchor, error) {
	stPath := filepath.Join(s.dir, "state.json")
	var st state
	b, err := os.ReadFile(stPath)
	stateBad := ""
	switch {
	case err == nil:
		if st, err = decodeState(b); err != nil {
			stateBad = err.Error()
			st = state{}
		}
	case os.IsNotExist(err):
		stateBad = "missing"
	default:
		return clockAnchor{}, fmt.Errorf("spool: %w", err)
	}
	acked, maxAcked, err := s.readAcks()
	if err != nil {
		return clockAnchor{}, err
	}
	done := acked
	for _, r := range st.Done {
		done = addRange(done, r[0], r[1])
	}
	s.gone = append(s.gone, st.Done...)
	for c, n := range st.Seq {
		s.seq[c] = n
	}
	tmps, _ := filepath.Glob(filepath.Join(s.dir, "*.tmp"))
	for _, p := range tmps {
		os.Remove(p) // an interrupted compaction or rewrite: best effort
	}
	files, err := s.segmentFiles()
	if err != nil {
		return clockAnchor{}, err
	}
	var lost [][2]uint64
	for i, sf := range files {
		var nextFirst uint64 // 0: the last segment
		if i+1 < len(files) {
			nextFirst = files[i+1].first
		}
		if err := s.loadSegment(sf, nextFirst, done, &lost, drops); err != nil {
			return clockAnchor{}, err
		}
	}
	// An index is never given twice: not one named by a record, by an
	// ack (its record may be lost with an unsynced tail) or by a segment.
	s.nextIndex = max(s.nextIndex, st.NextIndex, maxAcked+1)
	if n := len(files); n > 0 {
		s.nextIndex = max(s.nextIndex, files[n-1].first)
	}
	if stateBad != "" && (len(files) > 0 || maxAcked > 0) {
		s.opt.Log.Warn("spool: state.json unreadable; rebuilt from the segments and acks.log (a camera's seq restarts after its last record still on disk)",
			"dir", s.dir, "problem", stateBad, "next_index", s.nextIndex)
	}
	if len(s.segs) == 0 || s.segs[len(s.segs)-1].v1 {
		seg, err := s.newSegment(s.nextIndex)
		if err != nil {
			return clockAnchor{}, err
		}
		s.segs = append(s.segs, seg)
	}
	// The lost records are done: counted once, not again at the next Open.
	for _, r := range lost {
		s.ackLocked(r[0], r[1])
	}
	return clockAnchor{boot: st.BootID, clock: st.ClockNS, mono: time.Duration(st.BoottimeNS)}, nil
}

// segmentFiles lists the segments by first index: format 2 (.rec) and
// format 1 (.log) alike.
func (s *Spool) segmentFiles() ([]segFile, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var out []segFile
	for _, e := range ents {
		name := e.Name()
		ext := filepath.Ext(name)
		if !strings.HasPrefix(name, "seg-") || (ext != ".rec" && ext != ".log") {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "seg-"), ext), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("spool: %s: not a segment name", filepath.Join(s.dir, name))
		}
		out = append(out, segFile{path: filepath.Join(s.dir, name), first: first, v1: ext == ".log"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out, nil
}

// readAcks reads acks.log into sorted, merged done ranges, skipping damaged
// entries and cutting off a torn last one. max is the highest index named.
func (s *Spool) readAcks() (ranges [][2]uint64, maxIdx uint64, err error) {
	p := filepath.Join(s.dir, "acks.log")
	s.acks, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	whole := len(b) / ackEntry * ackEntry
	for off := 0; off < whole; off += ackEntry {
		e := b[off : off+ackEntry]
		if crc32.Checksum(e[:16], castagnoli) != binary.LittleEndian.Uint32(e[16:]) {
			continue // a damaged ack: its record is sent again at worst
		}
		first, last := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:])
		if first > last {
			continue
		}
		ranges = append(ranges, [2]uint64{first, last})
		maxIdx = max(maxIdx, last)
	}
	if whole < len(b) {
		if err := s.acks.Truncate(int64(whole)); err != nil {
			return nil, 0, fmt.Errorf("spool: %w", err)
		}
	}
	s.ackBytes = int64(whole)
	var merged [][2]uint64
	for _, r := range ranges {
		merged = addRange(merged, r[0], r[1])
	}
	return merged, maxIdx, nil
}

func isDone(ranges [][2]uint64, idx uint64) bool {
	i := sort.Search(len(ranges), func(i int) bool { return ranges[i][1] >= idx })
	return i < len(ranges) && ranges[i][0] <= idx
}

// lose adds the indices first…last that are not done to lost and returns
// how many they are.
func lose(lost *[][2]uint64, done [][2]uint64, first, last uint64) int {
	n := 0
	next := first
	for _, d := range done {
		if d[1] < next {
			continue
		}
		if d[0] > last {
			break
		}
		if d[0] > next {
			*lost = addRange(*lost, next, d[0]-1)
			n += int(d[0] - next)
		}
		next = d[1] + 1
		if next == 0 || next > last {
			return n
		}
	}
	*lost = addRange(*lost, next, last)
	return n + int(last-next+1)
}

// loadSegment reads one segment. A damaged stretch is skipped up to the
// next record that checks out; the indices it hid that are not done are
// lost (counted as DropCorrupt). After the last good record of the last
// segment, what a crash can leave (a cut record, zeros) is cut off
// silently, anything else is counted.
func (s *Spool) loadSegment(sf segFile, nextFirst uint64, done [][2]uint64, lost *[][2]uint64, drops *dropSet) error {
	data, err := os.ReadFile(sf.path)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	seg := &segment{first: sf.first, last: sf.first - 1, path: sf.path, v1: sf.v1}
	read := readFrame
	if sf.v1 {
		read = readFrameV1
	}
	prev := sf.first - 1 // the last index seen
	off, end := 0, 0
	for off < len(data) {
		r, n, err := read(data[off:])
		if err == nil && r.Index > prev && (nextFirst == 0 || r.Index < nextFirst) {
			if r.Index > prev+1 {
				drops.add(DropCorrupt, lose(lost, done, prev+1, r.Index-1))
			}
			prev = r.Index
			s.addRecovered(seg, &r, off, n, done)
			off += n
			end = off
			continue
		}
		if sf.v1 {
			break // format 1 has no magic to find the next record by
		}
		next := resync(data, off+1, prev, nextFirst)
		if next < 0 {
			break
		}
		off = next
	}
	if nextFirst != 0 {
		if nextFirst > prev+1 {
			drops.add(DropCorrupt, lose(lost, done, prev+1, nextFirst-1))
		}
	} else if !sf.v1 {
		drops.add(DropCorrupt, tailLoss(data[end:]))
	}
	seg.f, err = os.OpenFile(sf.path, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if nextFirst == 0 && end < len(data) {
		// Appends continue after the last whole record.
		if err := seg.f.Truncate(int64(end)); err != nil {
			seg.f.Close()
			return fmt.Errorf("spool: %w", err)
		}
	}
	seg.size = int64(end)
	if nextFirst != 0 {
		seg.size = int64(len(data))
	}
	s.segs = append(s.segs, seg)
	return nil
}

func (s *Spool) addRecovered(seg *segment, r *Record, off, n int, done [][2]uint64) {
	if seg.last < seg.first {
		seg.first = r.Index
	}
	seg.last = r.Index
	s.nextIndex = max(s.nextIndex, r.Index+1)
	s.seq[r.Camera] = max(s.seq[r.Camera], r.Seq)
	s.newest = max(s.newest, r.Spooled.UnixNano())
	if isDone(done, r.Index) {
		seg.deadBytes += int64(n)
		return
	}
	seg.live++
	s.live++
	s.liveBytes += int64(n)
	s.entries = append(s.entries, entry{index: r.Index, seq: r.Seq, seg: seg, off: int64(off), size: int32(n), kind: r.Kind, spooled: r.Spooled.UnixNano()})
}

var magicBytes = binary.LittleEndian.AppendUint32(nil, frameMagic)

// resync returns the offset, at or after from, of the next record that
// checks out and belongs after prev, or -1.
func resync(data []byte, from int, prev, nextFirst uint64) int {
	for from < len(data) {
		i := bytes.Index(data[from:], magicBytes)
		if i < 0 {
			return -1
		}
		at := from + i
		if r, _, err := readFrame(data[at:]); err == nil && r.Index > prev && (nextFirst == 0 || r.Index < nextFirst) {
			return at
		}
		from = at + 1
	}
	return -1
}

// tailLoss counts the records lost in what follows the last good record
// of the last segment. A cut record (a whole header, a short body) or
// zeros are what a crash leaves behind while writing a record that was not
// yet reported durable: not counted. A whole record that fails its CRC, or
// bytes that are no record at all, are damage: at least one record each.
func tailLoss(tail []byte) int {
	n := 0
	for len(tail) > 0 {
		if h, ok := readHeader(tail); ok {
			if len(tail)-frameHeader < h.bodyLen {
				return n
			}
			n++
			tail = tail[frameHeader+h.bodyLen:]
			continue
		}
		if len(tail) < frameHeader || allZero(tail) {
			return n
		}
		n++
		next := -1
		for from := 1; from < len(tail); {
			i := bytes.Index(tail[from:], magicBytes)
			if i < 0 {
				break
			}
			if _, ok := readHeader(tail[from+i:]); ok {
				next = from + i
				break
			}
			from += i + 1
		}
		if next < 0 {
			return n
		}
		tail = tail[next:]
	}
	return n
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// newSegment creates an empty segment; the directory is synced with the
// next group commit.
func (s *Spool) newSegment(first uint64) (*segment, error) {
	p := filepath.Join(s.dir, fmt.Sprintf("seg-%020d.rec", first))
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	s.dirDirty = true
	return &segment{first: first, last: first - 1, path: p, f: f}, nil
}
