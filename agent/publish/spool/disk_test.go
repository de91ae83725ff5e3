package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory, so that the
// test meets a real ENOSPC from the kernel. It needs root (CAP_SYS_ADMIN):
// a filesystem shim would only test the shim, and a loop device needs root
// too. The test fails, never skips, where it cannot mount.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs: %v: %s\nThis test needs root (CAP_SYS_ADMIN) to mount a small tmpfs: run `make test` as root or in a container started with --cap-add SYS_ADMIN.", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

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
	// Ack leaves the tidy to the spool's maintenance goroutine; Expire
	// waits for it.
	_ = s.Expire() // its error is the full disk, asserted through Health
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
