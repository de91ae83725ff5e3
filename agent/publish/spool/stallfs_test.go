package spool

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// stallFS is a real FUSE filesystem mounted by the test: go-fuse's
// loopback over a temporary directory, whose fsync (of files and of
// directories) does not return while the test holds it. To the spool it
// is what a stalled SD card is: an fsync syscall that sits in the kernel.
// Nothing in the spool is replaced; only the disk under it is slow.
type stallFS struct {
	dir string // the mount point

	mu      sync.Mutex
	gate    chan struct{} // closed when fsyncs may go on; nil when not stalled
	holding int           // fsyncs waiting on gate now
	entered chan struct{} // one token per fsync that started waiting
}

// mountStallFS mounts a stallFS on a new directory. It needs root and
// /dev/fuse (mount(2) is called directly, no fusermount); the test fails,
// never skips, where it cannot mount.
func mountStallFS(t *testing.T) *stallFS {
	t.Helper()
	backing, mnt := t.TempDir(), t.TempDir()
	s := &stallFS{dir: mnt, entered: make(chan struct{}, 1024)}
	var st syscall.Stat_t
	if err := syscall.Stat(backing, &st); err != nil {
		t.Fatal(err)
	}
	root := &fs.LoopbackRoot{Path: backing, Dev: uint64(st.Dev)}
	node := &stallNode{LoopbackNode: &fs.LoopbackNode{RootData: root}, fs: s}
	root.RootNode = node
	srv, err := fs.Mount(mnt, node, &fs.Options{MountOptions: fuse.MountOptions{
		DirectMountStrict: true,
		FsName:            "pantau-stallfs",
		Name:              "stallfs",
	}})
	if err != nil {
		t.Fatalf("mount a FUSE filesystem on %s: %v\nThis test needs root and /dev/fuse (modprobe fuse; in a container: --device /dev/fuse --cap-add SYS_ADMIN).", mnt, err)
	}
	t.Cleanup(func() {
		s.resume() // a held fsync would keep the unmount waiting
		if err := srv.Unmount(); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	return s
}

// stall makes every fsync from now on wait until resume.
func (s *stallFS) stall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate == nil {
		s.gate = make(chan struct{})
	}
}

// resume lets the held fsyncs and all later ones go on.
func (s *stallFS) resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// held is how many fsyncs are waiting now.
func (s *stallFS) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holding
}

func (s *stallFS) wait() {
	s.mu.Lock()
	g := s.gate
	if g != nil {
		s.holding++
	}
	s.mu.Unlock()
	if g == nil {
		return
	}
	s.entered <- struct{}{}
	<-g
	s.mu.Lock()
	s.holding--
	s.mu.Unlock()
}

// stallNode is a loopback node whose Fsync waits while the fs is stalled.
type stallNode struct {
	*fs.LoopbackNode
	fs *stallFS
}

var (
	_ fs.NodeFsyncer     = (*stallNode)(nil)
	_ fs.NodeWrapChilder = (*stallNode)(nil)
)

// WrapChild makes every file and directory below the root a stallNode.
func (n *stallNode) WrapChild(_ context.Context, ops fs.InodeEmbedder) fs.InodeEmbedder {
	return &stallNode{LoopbackNode: ops.(*fs.LoopbackNode), fs: n.fs}
}

// Fsync holds, then syncs the backing file or directory for real.
func (n *stallNode) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	n.fs.wait()
	switch h := f.(type) {
	case fs.FileFsyncer:
		return h.Fsync(ctx, flags)
	case fs.FileFsyncdirer:
		return h.Fsyncdir(ctx, flags)
	}
	return 0
}

// TestStallFSHoldsFsync checks the filesystem itself: a write returns,
// the fsync after it does not until resume.
func TestStallFSHoldsFsync(t *testing.T) {
	sfs := mountStallFS(t)
	f, err := os.Create(filepath.Join(sfs.dir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	sfs.stall()
	done := make(chan error, 1)
	go func() { done <- f.Sync() }()
	select {
	case <-sfs.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("fsync never reached the FUSE filesystem")
	}
	select {
	case err := <-done:
		t.Fatalf("fsync returned (%v) while the filesystem holds it", err)
	case <-time.After(300 * time.Millisecond):
	}
	sfs.resume()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fsync after resume: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fsync still held after resume")
	}
}
