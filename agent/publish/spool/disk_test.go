package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pantau/pantau/agent/testdisk"
)

// mountTmpfs mounts a tmpfs of size bytes, so that the test meets a real
// ENOSPC from the kernel (a filesystem shim would only test the shim).
func mountTmpfs(t *testing.T, size int) string { return testdisk.Tmpfs(t, size) }

// fillDisk writes a file in dir until the filesystem refuses another byte.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{64 << 10, 4 << 10, 1} {
		b := make([]byte, chunk)
		for {
			if _, err := f.Write(b); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return p
}

// TestFullDiskFreesDeliveredSegmentsAndRecovers is the full disk of the
// issue: appends are dropped as disk_full with their seq used, acks still
// free delivered segments (no write needed first), and appends work again
// by themselves once there is room; a restart sends nothing twice.
func TestFullDiskFreesDeliveredSegmentsAndRecovers(t *testing.T) {
	dir := filepath.Join(mountTmpfs(t, 1<<20), "spool")
	var d dropCounter
	opt := Options{SegmentBytes: 16 << 10, OnDrop: d.onDrop}
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 400)
	for i := 0; i < 100; i++ {
		appendMsg(t, s, "cam1", KindEvent, body)
	}
	fillDisk(t, filepath.Dir(dir))

	// What still fits in the segment's last page is kept; then the disk
	// refuses.
	kept, refused := 0, 0
	for i := 0; refused < 10; i++ {
		if i > 100 {
			t.Fatal("100 appends to a full disk and fewer than 10 refused")
		}
		_, err := s.Append(context.Background(), "cam1", KindEvent, "pantau/v1/s/a/cam1/x", false, func(seq uint64) ([]byte, error) {
			return []byte(body), nil
		})
		switch {
		case err == nil && refused == 0:
			kept++
		case errors.Is(err, ErrDisk) && errors.Is(err, syscall.ENOSPC):
			refused++
		default:
			t.Fatalf("append %d on a full disk: %v, want ErrDisk wrapping ENOSPC", i, err)
		}
	}
	if got := d.get(DropDiskFull); got != 10 {
		t.Fatalf("disk_full drops %d, want 10", got)
	}
	last := uint64(100 + kept + refused)
	if got := s.LastSeq("cam1"); got != last {
		t.Fatalf("LastSeq %d: refused appends must use their seq (want %d)", got, last)
	}
	if h := s.Health(); !errors.Is(h.Err, syscall.ENOSPC) {
		t.Fatalf("Health %+v, want ENOSPC", h)
	}
	if err := s.Probe(); err == nil {
		t.Fatal("Probe succeeded on a full disk")
	}

	// The sender delivers the backlog: the acks cannot be written, yet
	// the delivered segments go.
	before := s.Stats().DiskBytes
	for _, r := range drain(t, s) {
		if err := s.Ack(r.Index); err != nil {
			t.Fatal(err)
		}
	}
	// Ack leaves the tidy to the spool's maintenance goroutine; wait for
	// it.
	_ = s.maintain(true) // its error is the full disk, asserted through Health
	after := s.Stats().DiskBytes
	if after >= before/2 {
		t.Fatalf("segments on disk %d bytes after acking everything (was %d): delivered segments not freed", after, before)
	}
	r, err := s.Append(context.Background(), "cam1", KindEvent, "pantau/v1/s/a/cam1/x", false, func(seq uint64) ([]byte, error) {
		return []byte(fmt.Sprintf(`{"seq":%d}`, seq)), nil
	})
	if err != nil {
		t.Fatalf("append after the spool freed its delivered segments: %v", err)
	}
	if r.Seq != last+1 {
		t.Fatalf("seq %d after 10 dropped, want %d (the gap shows the drop)", r.Seq, last+1)
	}
	if err := s.Probe(); err != nil {
		t.Fatalf("Probe after recovery: %v", err)
	}
	if h := s.Health(); h.Err != nil {
		t.Fatalf("Health still %v after a good append and probe", h.Err)
	}
	if err := s.Expire(); err != nil { // lets maintenance rewrite the stale acks.log
		t.Fatal(err)
	}
	s.Close()

	s = mustOpen(t, dir, opt)
	got := drain(t, s)
	if len(got) != 1 || got[0].Seq != last+1 {
		t.Fatalf("after a restart %d records queued (seqs %v), want only seq %d: delivered ones must not come back", len(got), seqs(got), last+1)
	}
}

// TestReadOnlyDisk is the read-only disk of item 1, on a real ext4 that
// the kernel turns read-only after an error (errors=remount-ro, what a
// card with a bad block does): appends are dropped as disk_error with
// their seq used, Health names EROFS and Probe keeps failing; what was
// durable before is still handed out and acked. After the technician's
// e2fsck and remount, every record that was durable and not acked is
// there, once, and seq goes on above everything delivered.
func TestReadOnlyDisk(t *testing.T) {
	disk := testdisk.NewExt4(t, 16<<20)
	dir := filepath.Join(disk.Dir, "spool")
	var d dropCounter
	s, err := Open(dir, Options{SegmentBytes: 16 << 10, OnDrop: d.onDrop})
	if err != nil {
		t.Fatal(err)
	}
	var durable []Record
	for i := 0; i < 10; i++ {
		durable = append(durable, appendMsg(t, s, "cam1", KindEvent, "before"))
	}
	for _, r := range durable[:3] { // delivered before the card failed
		if err := s.Ack(r.Index); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.maintain(true) // the tidy the acks asked for, before the disk fails

	disk.Fail(t)
	for i := 0; i < 4; i++ {
		_, err := s.Append(context.Background(), "cam1", KindEvent, "pantau/v1/s/a/cam1/x", false, func(seq uint64) ([]byte, error) {
			return []byte("after"), nil
		})
		if !errors.Is(err, ErrDisk) || !errors.Is(err, syscall.EROFS) {
			t.Fatalf("append %d on a read-only disk: %v, want ErrDisk wrapping EROFS", i, err)
		}
	}
	if got := d.get(DropDiskError); got != 4 {
		t.Fatalf("disk_error drops %d, want 4", got)
	}
	if got := s.LastSeq("cam1"); got != 14 {
		t.Fatalf("LastSeq %d: refused appends must use their seq (want 14)", got)
	}
	if h := s.Health(); !errors.Is(h.Err, syscall.EROFS) {
		t.Fatalf("Health %v, want EROFS", h.Err)
	}
	if err := s.Probe(); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Probe on a read-only disk: %v, want EROFS", err)
	}
	// The sender goes on with what was durable; its acks cannot be written.
	waiting := drain(t, s)
	if got := seqs(waiting); len(got) != 7 || got[0] != 4 || got[6] != 10 {
		t.Fatalf("records handed out on a read-only disk: seqs %v, want 4…10", got)
	}
	for _, r := range waiting[:2] {
		if err := s.Ack(r.Index); err != nil {
			t.Fatalf("Ack on a read-only disk: %v (an unwritten ack only means a resend)", err)
		}
	}
	s.Close() // its final sync fails: the disk is read-only

	disk.Repair(t)
	s2 := mustOpen(t, dir, Options{SegmentBytes: 16 << 10})
	again := seqs(drain(t, s2))
	// Acks are not fsynced (a lost ack only means a resend, which the
	// message id tells), and the kernel writes nothing more to a
	// filesystem it made read-only: any of 1…5 may come again; 6…10,
	// never acked, must.
	if len(again) < 5 || again[len(again)-1] != 10 || again[len(again)-5] != 6 {
		t.Fatalf("after e2fsck: waiting seqs %v, want 6…10 at the end (1…5 may come again)", again)
	}
	for i := 1; i < len(again); i++ {
		if again[i] <= again[i-1] {
			t.Fatalf("after e2fsck: seqs %v not strictly increasing", again)
		}
	}
	if r := appendMsg(t, s2, "cam1", KindEvent, "repaired"); r.Seq <= 10 {
		t.Fatalf("first seq after the repair %d, want above the delivered 10", r.Seq)
	}
}
