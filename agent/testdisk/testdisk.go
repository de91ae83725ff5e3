// Package testdisk gives tests real sick disks: a small tmpfs that fills
// up (ENOSPC from the kernel), an ext4 filesystem on a loop device that
// turns read-only the way a failing SD card does (errors=remount-ro,
// EROFS from the kernel), and a FUSE filesystem whose fsync sits in the
// kernel until the test lets it go (a stalled card). All need root
// (CAP_SYS_ADMIN; /dev/fuse for the last); a test that cannot mount fails
// with the reason, it never skips.
package testdisk

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const needRoot = "This test needs root (CAP_SYS_ADMIN) to mount a filesystem: run `make test` as root or in a container started with --cap-add SYS_ADMIN (and --device /dev/loop-control for ext4)."

// Tmpfs mounts a tmpfs of size bytes (mode 0700) on a new directory and
// returns it; t.Cleanup unmounts it.
func Tmpfs(t testing.TB, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs: %v: %s\n%s", size, err, out, needRoot)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Ext4 is an ext4 filesystem in a file, mounted through a loop device with
// errors=remount-ro.
type Ext4 struct {
	// Dir is the mount point.
	Dir string
	img string
	dev string // loop device name, e.g. loop3
}

// NewExt4 makes and mounts an ext4 filesystem of size bytes; t.Cleanup
// unmounts it (which frees the loop device).
func NewExt4(t testing.TB, size int64) *Ext4 {
	t.Helper()
	for _, tool := range []string{"mkfs.ext4", "mount", "umount", "findmnt"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run scripts/setup.sh (apt-get install e2fsprogs mount util-linux)", tool)
		}
	}
	work := t.TempDir()
	img, dir := filepath.Join(work, "disk.img"), filepath.Join(work, "mnt")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	e := &Ext4{Dir: dir, img: img}
	e.mount(t)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return e
}

func (e *Ext4) mount(t testing.TB) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "loop,errors=remount-ro", e.img, e.Dir).CombinedOutput(); err != nil {
		t.Fatalf("mount an ext4 image on a loop device: %v: %s\n%s", err, out, needRoot)
	}
	src, err := exec.Command("findmnt", "-no", "SOURCE", e.Dir).Output()
	if err != nil {
		t.Fatalf("findmnt %s: %v", e.Dir, err)
	}
	e.dev = filepath.Base(strings.TrimSpace(string(src)))
}

// Repair does what a technician does after Fail: unmount, e2fsck, mount
// read-write again. Everything open on the filesystem must be closed.
func (e *Ext4) Repair(t testing.TB) {
	t.Helper()
	if out, err := exec.Command("umount", e.Dir).CombinedOutput(); err != nil {
		t.Fatalf("umount %s: %v: %s", e.Dir, err, out)
	}
	// e2fsck exits 1 when it fixed something, which it should here.
	if out, err := exec.Command("e2fsck", "-f", "-y", e.img).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck: %v: %s", err, out)
		}
	}
	e.mount(t)
}

// Fail makes the kernel record a filesystem error, as a bad block found by
// ext4 would: with errors=remount-ro the filesystem turns read-only at
// once, and every write from then on fails with EROFS (open files too).
func (e *Ext4) Fail(t testing.TB) {
	t.Helper()
	p := filepath.Join("/sys/fs/ext4", e.dev, "trigger_fs_error")
	if err := os.WriteFile(p, []byte("1"), 0o200); err != nil {
		t.Fatalf("trigger an ext4 error on %s: %v (the kernel needs /sys/fs/ext4/*/trigger_fs_error, Linux 5.x or later)", e.dev, err)
	}
	err := os.WriteFile(filepath.Join(e.Dir, ".probe"), nil, 0o600)
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("a write to %s after an ext4 error: %v, want EROFS", e.Dir, err)
	}
}
