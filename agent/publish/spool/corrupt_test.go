package spool

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damage is one fault applied to a closed spool's segment files: a byte
// flip or a cut. seg and pos are taken modulo what exists.
type damage struct {
	name string
	seg  int  // which segment file, by order
	pos  int  // byte offset in it
	xor  byte // flip: pos ^= xor (0 means cut the file at pos)
}

// damageCases feed TestDamagedSegments and the fuzz seeds.
var damageCases = []damage{
	{"flip body of a middle record of the last segment", -1, 3*recSize + 40, 0x01},
	{"flip the magic of a middle record", -1, 2 * recSize, 0xff},
	{"flip a length byte", -1, recSize + 5, 0x10},
	{"flip the last record of the last segment", -1, 3*recSize + 30, 0x80},
	{"flip the header CRC of the last record", -1, 3*recSize + 13, 0x04},
	{"flip a record of an older segment", 0, recSize + 50, 0x20},
	{"flip the first byte of the first segment", 0, 0, 0x01},
	{"cut the last segment inside a record", -1, 2*recSize + 7, 0},
	{"cut the last segment inside a header", -1, recSize + 9, 0},
	{"cut an older segment inside a record", 1, recSize + 20, 0},
	{"cut an older segment to nothing", 0, 0, 0},
}

// recSize is the encoded size of one record written by buildDamageSpool.
var recSize = encodedSize("cam1", "pantau/v1/s/a/cam1/x", len(fmt.Sprintf(`{"seq":%02d,"pad":%q}`, 1, strings.Repeat("p", 40))))

// written is what buildDamageSpool put on disk, record by record.
type written struct {
	rec   Record
	seg   int // segment file number
	off   int
	acked bool
}

// buildDamageSpool writes 16 records of two cameras in 4 segments of 4
// and acks two of them, then closes the spool.
func buildDamageSpool(t testing.TB, dir string) ([]written, []string) {
	s, err := Open(dir, Options{Fsync: FsyncNever, SegmentBytes: int64(4 * recSize)})
	if err != nil {
		t.Fatal(err)
	}
	var ws []written
	for i := 0; i < 16; i++ {
		cam := []string{"cam1", "cam2"}[i%2]
		r, err := s.Append(t.Context(), cam, KindEvent, "pantau/v1/s/a/"+cam+"/x", false, func(seq uint64) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"seq":%02d,"pad":%q}`, seq, strings.Repeat("p", 40))), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, written{rec: r, seg: i / 4, off: (i % 4) * recSize})
	}
	for _, i := range []int{2, 9} {
		s.Ack(ws[i].rec.Index)
		ws[i].acked = true
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.rec"))
	if len(segs) != 4 {
		t.Fatalf("%d segments, want 4", len(segs))
	}
	return ws, segs
}

// checkDamage applies dm to a fresh spool and checks recovery: it opens;
// what it returns is what was written; seq strictly increases per camera
// and no index repeats; every live record untouched by the damage comes
// back; every live record that does not come back is counted as corrupt,
// except one cut at the end of the last segment (a torn write, which a
// crash leaves of a record never reported durable); and appending goes on
// with a larger seq and index. strict is false when several faults were
// applied: then only "at least one counted" is checked.
func checkDamage(t *testing.T, dms []damage) {
	dir := t.TempDir()
	ws, segs := buildDamageSpool(t, dir)
	touched := map[int]bool{} // by record number
	tornTail := map[int]bool{}
	for _, dm := range dms {
		si := dm.seg
		if si < 0 {
			si = len(segs) - 1
		}
		si %= len(segs)
		data, err := os.ReadFile(segs[si])
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 {
			continue
		}
		pos := dm.pos % (len(data) + 1)
		if dm.xor == 0 {
			data = data[:pos]
		} else {
			pos %= len(data)
			data[pos] ^= dm.xor
		}
		for i, w := range ws {
			if w.seg != si {
				continue
			}
			end := w.off + recSize
			if dm.xor == 0 && end > pos {
				touched[i] = true
				if si == len(segs)-1 {
					tornTail[i] = true
				}
			}
			if dm.xor != 0 && pos >= w.off && pos < end {
				touched[i] = true
			}
		}
		if err := os.WriteFile(segs[si], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var d dropCounter
	s, err := Open(dir, Options{Fsync: FsyncNever, SegmentBytes: int64(4 * recSize), OnDrop: d.onDrop})
	if err != nil {
		t.Fatalf("%v: Open: %v", dms, err)
	}
	defer s.Close()
	got := map[uint64]Record{}
	lastSeq := map[string]uint64{}
	for _, r := range drain(t, s) {
		if _, dup := got[r.Index]; dup {
			t.Fatalf("%v: index %d twice", dms, r.Index)
		}
		got[r.Index] = r
		if r.Seq <= lastSeq[r.Camera] {
			t.Fatalf("%v: camera %s seq %d after %d", dms, r.Camera, r.Seq, lastSeq[r.Camera])
		}
		lastSeq[r.Camera] = r.Seq
	}
	uncounted := 0
	for i, w := range ws {
		r, ok := got[w.rec.Index]
		switch {
		case ok && w.acked:
			t.Fatalf("%v: acked record %d came back", dms, w.rec.Index)
		case ok && (r.Seq != w.rec.Seq || r.Camera != w.rec.Camera || !bytes.Equal(r.Payload, w.rec.Payload)):
			t.Fatalf("%v: record %d changed: %+v", dms, w.rec.Index, r)
		case !ok && !w.acked && !touched[i]:
			t.Fatalf("%v: untouched record %d (seq %d) lost", dms, w.rec.Index, w.rec.Seq)
		case !ok && !w.acked && !tornTail[i]:
			uncounted++
		}
	}
	corrupt := d.get(DropCorrupt)
	if len(dms) == 1 && corrupt < uncounted {
		t.Fatalf("%v: %d live records lost, %d counted as corrupt", dms, uncounted, corrupt)
	}
	if uncounted > 0 && corrupt == 0 {
		t.Fatalf("%v: %d live records lost and none counted", dms, uncounted)
	}
	for _, cam := range []string{"cam1", "cam2"} {
		r, err := s.Append(t.Context(), cam, KindEvent, "t", false, func(seq uint64) ([]byte, error) { return []byte("after"), nil })
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq <= lastSeq[cam] || r.Index <= ws[len(ws)-1].rec.Index && !tornTailIndex(ws, tornTail, r.Index) {
			t.Fatalf("%v: new %s record has seq %d index %d; seen seq %d, last index written %d", dms, cam, r.Seq, r.Index, lastSeq[cam], ws[len(ws)-1].rec.Index)
		}
	}
}

// tornTailIndex: an index may be given again only if its record was cut
// off the tail before anyone was told it was durable.
func tornTailIndex(ws []written, torn map[int]bool, idx uint64) bool {
	for i, w := range ws {
		if w.rec.Index == idx {
			return torn[i]
		}
	}
	return false
}

func TestDamagedSegments(t *testing.T) {
	for _, dm := range damageCases {
		t.Run(dm.name, func(t *testing.T) { checkDamage(t, []damage{dm}) })
	}
}

// TestOneFlipKeepsTheRestOfTheSegment is the case: 10 records, a
// byte flipped in the third; recovery resumes at the fourth.
func TestOneFlipKeepsTheRestOfTheSegment(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	for i := 0; i < 10; i++ {
		appendMsg(t, s, "cam1", KindEvent, "x")
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.rec"))
	data, _ := os.ReadFile(segs[0])
	size := len(data) / 10
	data[2*size+frameHeader+3] ^= 0x01
	os.WriteFile(segs[0], data, 0o600)
	var d dropCounter
	s = mustOpen(t, dir, Options{OnDrop: d.onDrop})
	got := drain(t, s)
	if len(got) != 9 || d.get(DropCorrupt) != 1 {
		t.Fatalf("%d records (seqs %v), %d counted corrupt; want 9 and 1", len(got), seqs(got), d.get(DropCorrupt))
	}
	s.Close()
	d = dropCounter{}
	s = mustOpen(t, dir, Options{OnDrop: d.onDrop})
	if got := drain(t, s); len(got) != 9 || d.get(DropCorrupt) != 0 {
		t.Fatalf("second open: %d records, %d counted again; want 9 and 0", len(got), d.get(DropCorrupt))
	}
}

func TestBadStateJSONIsRebuiltWithAWarning(t *testing.T) {
	for _, bad := range []string{"", "{not json", `{"next_index":1,"seq":{"cam1":1},"crc32c":1}`} {
		dir := t.TempDir()
		s := mustOpen(t, dir, Options{SegmentBytes: 200})
		for i := 0; i < 6; i++ {
			appendMsg(t, s, "cam1", KindEvent, "x")
		}
		s.Close()
		p := filepath.Join(dir, "state.json")
		if bad == "" {
			os.Remove(p)
		} else {
			os.WriteFile(p, []byte(bad), 0o600)
		}
		var logs bytes.Buffer
		s = mustOpen(t, dir, Options{SegmentBytes: 200, Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if !strings.Contains(logs.String(), "state.json unreadable; rebuilt") {
			t.Fatalf("state.json %q: no warning, log: %s", bad, logs.String())
		}
		if got := drain(t, s); len(got) != 6 {
			t.Fatalf("state.json %q: %d records, want 6", bad, len(got))
		}
		if r := appendMsg(t, s, "cam1", KindEvent, "y"); r.Seq != 7 || r.Index != 7 {
			t.Fatalf("state.json %q: next record seq %d index %d, want 7 and 7", bad, r.Seq, r.Index)
		}
		s.Close()
	}
}

// FuzzDamagedSpool applies up to three random flips or cuts to a spool's
// segments and checks recovery as TestDamagedSegments does.
func FuzzDamagedSpool(f *testing.F) {
	for _, dm := range damageCases {
		f.Add(uint8(dm.seg&0xff), uint16(dm.pos), dm.xor, []byte{})
	}
	f.Add(uint8(3), uint16(100), uint8(1), []byte{0, 1, 2, 0, 9, 5, 7})
	f.Fuzz(func(t *testing.T, seg uint8, pos uint16, xor uint8, more []byte) {
		dms := []damage{{seg: int(seg % 4), pos: int(pos), xor: xor}}
		for i := 0; i+3 < len(more) && len(dms) < 3; i += 4 {
			dms = append(dms, damage{seg: int(more[i] % 4), pos: int(more[i+1])<<8 | int(more[i+2]), xor: more[i+3]})
		}
		checkDamage(t, dms)
	})
}
