package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type dropCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *dropCounter) onDrop(reason string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[reason] += n
}

func (d *dropCounter) get(reason string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[reason]
}

func mustOpen(t *testing.T, dir string, opt Options) *Spool {
	t.Helper()
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendMsg(t *testing.T, s *Spool, camera string, kind Kind, body string) Record {
	t.Helper()
	r, err := s.Append(context.Background(), camera, kind, "pantau/v1/s/a/"+camera+"/x", false, func(seq uint64) ([]byte, error) {
		return []byte(fmt.Sprintf(`{"seq":%d,"body":%q}`, seq, body)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// drain reads every waiting record in order without acking.
func drain(t testing.TB, s *Spool) []Record {
	t.Helper()
	var out []Record
	var after uint64
	for {
		r, ok, err := s.Next(after)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, r)
		after = r.Index
	}
}

func TestAppendNextAckAndSeqPerCamera(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	for i := 0; i < 3; i++ {
		appendMsg(t, s, "cam1", KindEvent, "a")
		appendMsg(t, s, "cam2", KindCounts, "b")
	}
	recs := drain(t, s)
	if len(recs) != 6 {
		t.Fatalf("got %d records, want 6", len(recs))
	}
	want := map[string]uint64{}
	for i, r := range recs {
		want[r.Camera]++
		if r.Seq != want[r.Camera] {
			t.Fatalf("record %d: camera %s seq %d, want %d", i, r.Camera, r.Seq, want[r.Camera])
		}
		if i > 0 && r.Index != recs[i-1].Index+1 {
			t.Fatalf("indexes not consecutive: %d after %d", r.Index, recs[i-1].Index)
		}
		if string(r.Payload) != fmt.Sprintf(`{"seq":%d,"body":%q}`, r.Seq, map[string]string{"cam1": "a", "cam2": "b"}[r.Camera]) {
			t.Fatalf("payload %s", r.Payload)
		}
	}
	if err := s.Ack(recs[0].Index); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(recs[2].Index); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Messages != 4 {
		t.Fatalf("Stats.Messages = %d after 2 acks of 6", st.Messages)
	}
	if r, _, _ := s.Next(0); r.Index != recs[1].Index {
		t.Fatalf("oldest waiting is %d, want %d", r.Index, recs[1].Index)
	}
}

func TestReopenKeepsUnackedSeqAndIndex(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SegmentBytes: 200}) // a few records per segment
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for i := 0; i < 10; i++ {
		recs = append(recs, appendMsg(t, s, "cam1", KindEvent, "x"))
	}
	for _, r := range recs[:4] {
		if err := s.Ack(r.Index); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("second Open of a spool in use succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{SegmentBytes: 200})
	got := drain(t, s)
	if len(got) != 6 || got[0].Seq != 5 || got[5].Seq != 10 {
		t.Fatalf("after reopen: %d records, seqs %v", len(got), seqs(got))
	}
	for _, r := range got {
		if err := s.Ack(r.Index); err != nil {
			t.Fatal(err)
		}
	}
	r := appendMsg(t, s, "cam1", KindEvent, "y")
	if r.Seq != 11 || r.Index != recs[9].Index+1 {
		t.Fatalf("new record seq %d index %d, want 11 and %d", r.Seq, r.Index, recs[9].Index+1)
	}
	// Everything done: old segments are gone but seq still carries on.
	s.Ack(r.Index)
	appendMsg(t, s, "cam1", KindEvent, "z") // forces a rotation past the done segment
	// Deletion runs in the maintenance goroutine, which Close stops
	// without a last round: wait for the round the acks asked for (under
	// load it had not run yet at Close).
	if err := s.maintain(true); err != nil {
		t.Fatal(err)
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.rec"))
	if len(segs) > 2 {
		t.Fatalf("%d segments left, done ones should be deleted", len(segs))
	}
	s = mustOpen(t, dir, Options{SegmentBytes: 200})
	if got := drain(t, s); len(got) != 1 || got[0].Seq != 12 {
		t.Fatalf("after second reopen: seqs %v, want [12]", seqs(got))
	}
	if r := appendMsg(t, s, "cam1", KindEvent, "w"); r.Seq != 13 {
		t.Fatalf("seq %d after restart, want 13", r.Seq)
	}
}

func seqs(rs []Record) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}

func TestTornTailIsCutOff(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		appendMsg(t, s, "cam1", KindEvent, "x")
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.rec"))
	f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Half a record, as a crash in the middle of a write leaves it.
	f.Write([]byte{60, 0, 0, 0, 1, 2, 3, 4, 5, 6})
	f.Close()
	s = mustOpen(t, dir, Options{})
	if got := drain(t, s); len(got) != 3 {
		t.Fatalf("%d records after torn tail, want 3", len(got))
	}
	if r := appendMsg(t, s, "cam1", KindEvent, "after"); r.Seq != 4 {
		t.Fatalf("seq %d, want 4", r.Seq)
	}
	if got := drain(t, s); len(got) != 4 || string(got[3].Payload) != `{"seq":4,"body":"after"}` {
		t.Fatalf("append after torn tail: %d records", len(got))
	}
}

func TestFullPolicies(t *testing.T) {
	size := int64(encodedSize("cam1", "pantau/v1/s/a/cam1/x", len(`{"seq":1,"body":"x"}`)))
	tests := []struct {
		policy             Policy
		kinds              string // C counts, E event, appended in order
		wantEvents, wantCt int
		wantRefused        int
	}{
		// Room for 6: the 7th and 8th each push out the oldest counts.
		{PolicyDropOldestCounts, "CECECECE", 4, 2, 0},
		// Both counts go; then only events are left and the 9th is refused.
		{PolicyDropOldestCounts, "CECEEEEEE", 6, 0, 1},
		{PolicyDropNewest, "CECECECE", 3, 3, 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%s", tt.policy, tt.kinds), func(t *testing.T) {
			var d dropCounter
			s := mustOpen(t, t.TempDir(), Options{MaxBytes: 6 * size, Policy: tt.policy, OnDrop: d.onDrop})
			refused, counts := 0, 0
			for _, k := range tt.kinds {
				kind := KindEvent
				if k == 'C' {
					kind = KindCounts
					counts++
				}
				_, err := s.Append(context.Background(), "cam1", kind, "pantau/v1/s/a/cam1/x", false, func(seq uint64) ([]byte, error) {
					return []byte(fmt.Sprintf(`{"seq":%d,"body":"x"}`, seq%10)), nil
				})
				if errors.Is(err, ErrFull) {
					refused++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			ev, ct := 0, 0
			for _, r := range drain(t, s) {
				if r.Kind == KindEvent {
					ev++
				} else {
					ct++
				}
			}
			if ev != tt.wantEvents || ct != tt.wantCt || refused != tt.wantRefused {
				t.Fatalf("events %d counts %d refused %d; want %d %d %d", ev, ct, refused, tt.wantEvents, tt.wantCt, tt.wantRefused)
			}
			if got := d.get(DropFull); got != refused {
				t.Fatalf("OnDrop(full) = %d, want %d", got, refused)
			}
			if got, want := d.get(DropCounts), counts-tt.wantCt; tt.policy == PolicyDropOldestCounts && got != want {
				t.Fatalf("OnDrop(full_counts) = %d, want %d", got, want)
			}
			if st := s.Stats(); st.Bytes > 6*size {
				t.Fatalf("spool holds %d bytes, bound %d", st.Bytes, 6*size)
			}
		})
	}
}

// fakeClocks is a wall clock and a monotonic clock a test moves apart,
// and the boot id they belong to, which a test changes to play a reboot
// (a real reboot cannot run in a test; Options.Now, Monotonic and BootID
// are the spool's seams for this).
type fakeClocks struct {
	mu   sync.Mutex
	wall time.Time
	mono time.Duration
	boot string
}

func (c *fakeClocks) bootID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.boot
}

// reboot starts a new boot: a new id, and the monotonic clock starts
// again near zero.
func (c *fakeClocks) reboot(id string) {
	c.mu.Lock()
	c.boot, c.mono = id, time.Second
	c.mu.Unlock()
}

func (c *fakeClocks) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *fakeClocks) monotonic() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

// advance moves both clocks by d (time passing); jump moves the wall
// clock only (NTP, an operator).
func (c *fakeClocks) advance(d time.Duration) {
	c.mu.Lock()
	c.wall, c.mono = c.wall.Add(d), c.mono+d
	c.mu.Unlock()
}

func (c *fakeClocks) jump(d time.Duration) {
	c.mu.Lock()
	c.wall = c.wall.Add(d)
	c.mu.Unlock()
}

func TestMaxAge(t *testing.T) {
	c := &fakeClocks{wall: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var d dropCounter
	s := mustOpen(t, t.TempDir(), Options{MaxAge: time.Hour, Now: c.now, Monotonic: c.monotonic, BootID: c.bootID, OnDrop: d.onDrop})
	appendMsg(t, s, "cam1", KindEvent, "old")
	c.advance(40 * time.Minute)
	appendMsg(t, s, "cam1", KindEvent, "young")
	if st := s.Stats(); st.Oldest != 40*time.Minute || st.Messages != 2 {
		t.Fatalf("stats %+v", st)
	}
	c.advance(30 * time.Minute)
	if err := s.Expire(); err != nil {
		t.Fatal(err)
	}
	got := drain(t, s)
	if len(got) != 1 || got[0].Seq != 2 || d.get(DropAge) != 1 {
		t.Fatalf("after expiry: seqs %v, age drops %d", seqs(got), d.get(DropAge))
	}
}

// TestAgeSurvivesWallClockJumps: a box without RTC starts in 1970 and NTP
// moves it 56 years on; an operator sets it back a day. Neither ages the
// backlog, in the process nor across a reboot (restarts within one boot:
// clock_test.go).
func TestAgeSurvivesWallClockJumps(t *testing.T) {
	dir := t.TempDir()
	c := &fakeClocks{wall: time.Unix(0, 0).UTC(), boot: "boot-1"}
	var d dropCounter
	opt := Options{MaxAge: time.Hour, Now: c.now, Monotonic: c.monotonic, BootID: c.bootID, OnDrop: d.onDrop}
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	appendMsg(t, s, "cam1", KindEvent, "before ntp")
	c.jump(56 * 365 * 24 * time.Hour)
	c.advance(time.Minute)
	appendMsg(t, s, "cam1", KindEvent, "after ntp")
	if err := s.Expire(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Messages != 2 || st.Oldest != time.Minute || d.get(DropAge) != 0 {
		t.Fatalf("after a forward jump: %+v, age drops %d", st, d.get(DropAge))
	}
	c.jump(-24 * time.Hour)
	appendMsg(t, s, "cam1", KindEvent, "set back")
	if st := s.Stats(); st.Messages != 3 || st.Oldest != time.Minute {
		t.Fatalf("after a backward jump: %+v", st)
	}
	s.Close()

	// Reboot with the wall clock behind the records (RTC lost again):
	// ages go on from the newest record.
	c.reboot("boot-2")
	c.wall = time.Unix(0, 0).UTC()
	s = mustOpen(t, dir, opt)
	if got := drain(t, s); len(got) != 3 || d.get(DropAge) != 0 {
		t.Fatalf("after a restart behind the records: %d records, age drops %d", len(got), d.get(DropAge))
	}
	c.advance(2 * time.Hour)
	if err := s.Expire(); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, s); len(got) != 0 || d.get(DropAge) != 3 {
		t.Fatalf("two hours on: %d records left, age drops %d; want 0 and 3", len(got), d.get(DropAge))
	}
}

func TestCompactionFreesHoles(t *testing.T) {
	dir := t.TempDir()
	size := int64(encodedSize("cam1", "pantau/v1/s/a/cam1/x", len(`{"seq":1,"body":"x"}`)))
	s := mustOpen(t, dir, Options{MaxBytes: 40 * size, SegmentBytes: 10 * size, Policy: PolicyDropOldestCounts})
	// One event per nine counts: every segment is pinned by its event.
	for i := 0; i < 200; i++ {
		kind := KindCounts
		if i%10 == 0 {
			kind = KindEvent
		}
		if _, err := s.Append(context.Background(), "cam1", kind, "pantau/v1/s/a/cam1/x", false, func(seq uint64) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"seq":%d,"body":"x"}`, seq%10)), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if s.compactions == 0 {
		t.Fatal("no segment was compacted")
	}
	if st.DiskBytes > 3*40*size {
		t.Fatalf("disk %d bytes for %d live bytes (bound %d): holes not compacted", st.DiskBytes, st.Bytes, 40*size)
	}
	recs := drain(t, s)
	events := 0
	for _, r := range recs {
		if r.Kind == KindEvent {
			events++
		}
	}
	if events != 20 {
		t.Fatalf("%d events kept, want all 20", events)
	}
	s.Close()
	s = mustOpen(t, dir, Options{MaxBytes: 40 * size, SegmentBytes: 10 * size})
	if got := drain(t, s); len(got) != len(recs) {
		t.Fatalf("after reopen %d records, want %d", len(got), len(recs))
	}
}

func TestAcksLogIsRewritten(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{SegmentBytes: 1 << 30, MaxBytes: 1 << 30, Fsync: FsyncNever})
	// Ack every other record so ranges cannot merge; one segment keeps all.
	var keep []uint64
	for i := 0; i < 2*compactAcksAt/ackEntry; i++ {
		r := appendMsg(t, s, "cam1", KindEvent, "x")
		if i%2 == 0 {
			s.Ack(r.Index)
		} else if i%1000 == 1 {
			keep = append(keep, r.Seq)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "acks.log"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > compactAcksAt+ackEntry {
		t.Fatalf("acks.log is %d bytes, should have been rewritten at %d", fi.Size(), compactAcksAt)
	}
	want := s.Stats().Messages
	s.Close()
	s = mustOpen(t, dir, Options{SegmentBytes: 1 << 30, MaxBytes: 1 << 30})
	got := drain(t, s)
	if len(got) != want {
		t.Fatalf("after reopen %d records waiting, want %d", len(got), want)
	}
	for _, r := range got {
		if r.Seq%2 != 0 {
			t.Fatalf("acked record seq %d came back", r.Seq)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{Fsync: "sometimes"}, {Policy: "drop_all"}, {MaxBytes: -1}} {
		if _, err := Open(t.TempDir(), o); err == nil {
			t.Fatalf("Open accepted %+v", o)
		}
	}
}

func TestInOrderAcksDoNotRewriteSegments(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{SegmentBytes: 1000})
	var recs []Record
	for i := 0; i < 100; i++ {
		recs = append(recs, appendMsg(t, s, "cam1", KindEvent, "x"))
	}
	for _, r := range recs {
		if err := s.Ack(r.Index); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.maintain(true); err != nil { // waits for the tidy the acks asked for
		t.Fatal(err)
	}
	s.mu.Lock()
	rewrites := s.compactions
	s.mu.Unlock()
	if rewrites != 0 {
		t.Fatalf("%d segment rewrites while acking in order", rewrites)
	}
	if st := s.Stats(); st.Messages != 0 || st.DiskBytes > 1000 {
		t.Fatalf("after acking all: %+v", st)
	}
}

// TestRecoversFromAnyCut stands in for a power cut at any byte of the last
// segment: every cut opens, keeps exactly the whole records before it, and
// takes new records after them.
func TestRecoversFromAnyCut(t *testing.T) {
	src := t.TempDir()
	s, err := Open(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64 // file size after each record
	for i := 0; i < 4; i++ {
		appendMsg(t, s, "cam1", KindEvent, "x")
		ends = append(ends, s.Stats().DiskBytes)
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(src, "seg-*.rec"))
	data, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut <= len(data); cut++ {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(segs[0])), data[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		whole := 0
		for _, e := range ends {
			if int64(cut) >= e {
				whole++
			}
		}
		s, err := Open(dir, Options{Fsync: FsyncNever}) // fast: ~1200 opens
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		got := drain(t, s)
		if len(got) != whole {
			t.Fatalf("cut at %d: %d records, want %d", cut, len(got), whole)
		}
		if r := appendMsg(t, s, "cam1", KindEvent, "y"); r.Seq != uint64(whole)+1 {
			t.Fatalf("cut at %d: next seq %d, want %d", cut, r.Seq, whole+1)
		}
		s.Close()
	}
}

func TestCorruptOlderSegmentIsCountedAndLaterOnesKept(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SegmentBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		appendMsg(t, s, "cam1", KindEvent, "x")
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.rec"))
	if len(segs) < 3 {
		t.Fatalf("%d segments, the test wants at least 3", len(segs))
	}
	data, _ := os.ReadFile(segs[0])
	data[len(data)-3] ^= 0xff // flip a bit in the first segment's last record
	os.WriteFile(segs[0], data, 0o600)
	var d dropCounter
	s = mustOpen(t, dir, Options{SegmentBytes: 300, OnDrop: d.onDrop})
	got := drain(t, s)
	if d.get(DropCorrupt) != 1 || len(got) != 11 {
		t.Fatalf("corrupt drops %d, records %d; want 1 and 11", d.get(DropCorrupt), len(got))
	}
	if r := appendMsg(t, s, "cam1", KindEvent, "z"); r.Seq != 13 {
		t.Fatalf("next seq %d, want 13", r.Seq)
	}
}

// TestRefusedSeqSurvivesACrash: a record refused after its seq was given
// (the spool is full and the policy drops the newest) leaves a gap that
// subscribers must see even if the process dies before anything else is
// written: the seq is saved in state.json by the maintenance it asks for,
// so the spool reopened from a copy of the directory taken then (what a
// SIGKILL leaves) goes on above it instead of giving it again.
func TestRefusedSeqSurvivesACrash(t *testing.T) {
	size := int64(encodedSize("cam1", "pantau/v1/s/a/cam1/x", len(`{"seq":1,"body":"x"}`)))
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{MaxBytes: 3 * size, Policy: PolicyDropNewest})
	for i := 0; i < 5; i++ {
		_, err := s.Append(context.Background(), "cam1", KindEvent, "pantau/v1/s/a/cam1/x", false, func(seq uint64) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"seq":%d,"body":"x"}`, seq%10)), nil
		})
		if i >= 3 && !errors.Is(err, ErrFull) {
			t.Fatalf("append %d to a full spool: %v, want ErrFull", i, err)
		}
	}
	if got := s.LastSeq("cam1"); got != 5 {
		t.Fatalf("LastSeq %d, want 5 (refused appends use their seq)", got)
	}
	if err := s.maintain(true); err != nil { // the round the refusals asked for
		t.Fatal(err)
	}
	image := t.TempDir()
	if out, err := exec.Command("cp", "-a", dir+"/.", image).CombinedOutput(); err != nil {
		t.Fatalf("copy the spool: %v: %s", err, out)
	}
	s2 := mustOpen(t, image, Options{MaxBytes: 3 * size, Policy: PolicyDropNewest})
	if got := s2.LastSeq("cam1"); got != 5 {
		t.Fatalf("after a crash LastSeq %d, want 5: the refused seqs 4 and 5 would be given again and their gap never seen", got)
	}
}
