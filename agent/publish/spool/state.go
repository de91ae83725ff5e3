package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// state is state.json: what must survive the deletion of every segment.
type state struct {
	NextIndex uint64            `json:"next_index"`
	Seq       map[string]uint64 `json:"seq"`
	// Done are the index ranges of deleted segments above the first kept
	// one, so that recovery does not take them for lost records.
	Done [][2]uint64 `json:"done,omitempty"`
	// The spool clock when saved, the boot and Options.Monotonic then, so
	// that an Open in the same boot goes on from there (see startClock).
	// Files written before these fields open as after a reboot.
	BootID     string `json:"boot_id,omitempty"`
	ClockNS    int64  `json:"spool_clock_ns,omitempty"`
	BoottimeNS int64  `json:"boottime_ns,omitempty"`
	// CRC is the CRC-32C of the file written with CRC absent; format-1
	// files have none.
	CRC *uint32 `json:"crc32c,omitempty"`
}

// stateLocked is the state to save before the segments in removing are
// deleted.
func (s *Spool) stateLocked(removing []*segment) state {
	a := s.anchorLocked()
	st := state{NextIndex: s.nextIndex, Seq: make(map[string]uint64, len(s.seq)),
		BootID: a.boot, ClockNS: a.clock, BoottimeNS: int64(a.mono)}
	for c, n := range s.seq {
		st.Seq[c] = n
	}
	done := append([][2]uint64(nil), s.gone...)
	going := map[*segment]bool{}
	for _, seg := range removing {
		going[seg] = true
		done = addRange(done, seg.first, max(seg.last, seg.first))
	}
	for _, seg := range s.segs {
		if !going[seg] {
			st.Done = pruneRanges(done, seg.first)
			break
		}
	}
	return st
}

// pruneRanges drops the ranges that end below from.
func pruneRanges(rs [][2]uint64, from uint64) [][2]uint64 {
	out := rs[:0]
	for _, r := range rs {
		if r[1] >= from {
			out = append(out, r)
		}
	}
	return out
}

func encodeState(st state) ([]byte, error) {
	st.CRC = nil
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	c := crc32.Checksum(b, castagnoli)
	st.CRC = &c
	return json.Marshal(st)
}

// decodeState parses state.json and checks its CRC.
func decodeState(b []byte) (state, error) {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, err
	}
	if st.CRC == nil {
		return st, nil // format 1
	}
	want := *st.CRC
	st.CRC = nil
	plain, err := json.Marshal(st)
	if err != nil {
		return state{}, err
	}
	if crc32.Checksum(plain, castagnoli) != want {
		return state{}, errors.New("checksum mismatch")
	}
	return st, nil
}

// saveState writes state.json atomically (write, fsync, rename, fsync
// dir). It does not take mu.
func (s *Spool) saveState(st state) error {
	b, err := encodeState(st)
	if err != nil {
		return err
	}
	p := filepath.Join(s.dir, "state.json")
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: save state: %w", err)
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
	if err == nil {
		err = s.syncDir()
	}
	if err != nil {
		os.Remove(tmp) // best effort: leftovers are removed at the next Open
		return fmt.Errorf("spool: save state: %w", err)
	}
	return nil
}
