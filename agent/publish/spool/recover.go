package spool

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// state is state.json: what must survive the deletion of every segment.
type state struct {
	NextIndex uint64            `json:"next_index"`
	Seq       map[string]uint64 `json:"seq"`
}

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
	s := &Spool{dir: dir, opt: opt, lock: lock, nextIndex: 1, seq: map[string]uint64{}, stop: make(chan struct{})}
	var drops dropSet
	if err := s.recover(&drops); err != nil {
		s.closeFiles()
		return nil, err
	}
	s.expireLocked(s.opt.Now(), &drops)
	if err := s.tidyLocked(); err != nil {
		s.closeFiles()
		return nil, err
	}
	drops.report(s.opt.OnDrop)
	if s.opt.Fsync == FsyncInterval {
		s.wg.Add(1)
		go s.syncLoop()
	}
	return s, nil
}

func (s *Spool) closeFiles() {
	if s.acks != nil {
		s.acks.Close()
	}
	for _, seg := range s.segs {
		seg.f.Close()
	}
	s.lock.Close()
}

func (s *Spool) syncLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opt.FsyncEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			_ = s.Sync() // a failing disk shows again at Close
		}
	}
}

func (s *Spool) recover(drops *dropSet) error {
	if b, err := os.ReadFile(filepath.Join(s.dir, "state.json")); err == nil {
		var st state
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("spool: %s: %w", filepath.Join(s.dir, "state.json"), err)
		}
		s.nextIndex = max(st.NextIndex, 1)
		for c, n := range st.Seq {
			s.seq[c] = n
		}
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("spool: %w", err)
	}
	done, err := s.readAcks()
	if err != nil {
		return err
	}
	tmps, _ := filepath.Glob(filepath.Join(s.dir, "*.tmp"))
	for _, p := range tmps {
		os.Remove(p) // an interrupted compaction or rewrite
	}
	paths, err := filepath.Glob(filepath.Join(s.dir, "seg-*.log"))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	sort.Strings(paths) // zero-padded first index: lexical is numeric order
	for i, p := range paths {
		if err := s.loadSegment(p, i == len(paths)-1, done, drops); err != nil {
			return err
		}
	}
	if len(s.segs) == 0 {
		seg, err := s.newSegment(s.nextIndex)
		if err != nil {
			return err
		}
		s.segs = append(s.segs, seg)
	}
	return nil
}

// readAcks reads acks.log into sorted, merged done ranges and cuts off a
// torn last entry.
func (s *Spool) readAcks() (ranges [][2]uint64, err error) {
	p := filepath.Join(s.dir, "acks.log")
	s.acks, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	good := 0
	for ; good+ackEntry <= len(b); good += ackEntry {
		e := b[good : good+ackEntry]
		if crc32.Checksum(e[:16], castagnoli) != binary.LittleEndian.Uint32(e[16:]) {
			break
		}
		ranges = append(ranges, [2]uint64{binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:])})
	}
	if good < len(b) {
		if err := s.acks.Truncate(int64(good)); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	s.ackBytes = int64(good)
	sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
	merged := ranges[:0]
	for _, r := range ranges {
		if n := len(merged); n > 0 && r[0] <= merged[n-1][1]+1 {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	return merged, nil
}

func isDone(ranges [][2]uint64, idx uint64) bool {
	i := sort.Search(len(ranges), func(i int) bool { return ranges[i][1] >= idx })
	return i < len(ranges) && ranges[i][0] <= idx
}

func (s *Spool) loadSegment(p string, last bool, done [][2]uint64, drops *dropSet) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	var first uint64
	if _, err := fmt.Sscanf(strings.TrimPrefix(filepath.Base(p), "seg-"), "%020d.log", &first); err != nil {
		return fmt.Errorf("spool: %s: not a segment name", p)
	}
	seg := &segment{first: first, last: first - 1, path: p}
	off := 0
	for off < len(data) {
		r, n, err := readFrame(data[off:])
		if err != nil {
			if !last {
				drops.add(DropCorrupt, 1)
			}
			break
		}
		if seg.last < seg.first {
			seg.first = r.Index
		}
		seg.last = r.Index
		s.nextIndex = max(s.nextIndex, r.Index+1)
		s.seq[r.Camera] = max(s.seq[r.Camera], r.Seq)
		if isDone(done, r.Index) {
			seg.deadBytes += int64(n)
		} else {
			seg.live++
			s.live++
			s.liveBytes += int64(n)
			s.entries = append(s.entries, entry{index: r.Index, seq: r.Seq, seg: seg, off: int64(off), size: int32(n), kind: r.Kind, spooled: r.Spooled.UnixNano()})
		}
		off += n
	}
	flags := os.O_RDWR
	seg.f, err = os.OpenFile(p, flags, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if off < len(data) {
		// A write cut by a crash: drop the torn tail so appends continue
		// after the last whole record.
		if err := seg.f.Truncate(int64(off)); err != nil {
			seg.f.Close()
			return fmt.Errorf("spool: %w", err)
		}
	}
	seg.size = int64(off)
	s.segs = append(s.segs, seg)
	return nil
}

// readFrame parses the record at the start of b and returns it with its
// encoded size.
func readFrame(b []byte) (Record, int, error) {
	if len(b) < frameHeader {
		return Record{}, 0, errTorn
	}
	n, crc, err := frameLen(b, len(b)-frameHeader)
	if err != nil {
		return Record{}, 0, err
	}
	r, err := decodeBody(b[frameHeader:frameHeader+n], crc)
	return r, frameHeader + n, err
}

// saveStateLocked writes state.json atomically.
func (s *Spool) saveStateLocked() error {
	b, err := json.Marshal(state{NextIndex: s.nextIndex, Seq: s.seq})
	if err != nil {
		return err
	}
	p := filepath.Join(s.dir, "state.json")
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_, err = f.Write(b)
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
		os.Remove(tmp)
		return fmt.Errorf("spool: save state: %w", err)
	}
	s.syncDir()
	return nil
}
