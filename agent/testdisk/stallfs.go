package testdisk

import (
	"context"
	"sync"
	"syscall"
	"testing"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// StallFS is a real FUSE filesystem mounted by the test: go-fuse's
// loopback over a temporary directory, whose fsync (of files and of
// directories) does not return while the test holds it. To the spool it
// is what a stalled SD card is: an fsync syscall that sits in the kernel.
// Nothing in the spool is replaced; only the disk under it is slow.
type StallFS struct {
	// Dir is the mount point.
	Dir string

	mu      sync.Mutex
	gate    chan struct{} // closed when fsyncs may go on; nil when not stalled
	holding int           // fsyncs waiting on gate now
	entered chan struct{} // one token per fsync that started waiting (Entered)
}

// NewStallFS mounts a StallFS on a new directory. It needs root and
// /dev/fuse (mount(2) is called directly, no fusermount); the test fails,
// never skips, where it cannot mount.
func NewStallFS(t testing.TB) *StallFS {
	t.Helper()
	backing, mnt := t.TempDir(), t.TempDir()
	s := &StallFS{Dir: mnt, entered: make(chan struct{}, 1024)}
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
		s.Resume() // a held fsync would keep the unmount waiting
		if err := srv.Unmount(); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	return s
}

// Stall makes every fsync from now on wait until Resume.
func (s *StallFS) Stall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate == nil {
		s.gate = make(chan struct{})
	}
}

// Resume lets the held fsyncs and all later ones go on.
func (s *StallFS) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// Held is how many fsyncs are waiting now.
func (s *StallFS) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holding
}

// Entered receives once for every fsync that started waiting.
func (s *StallFS) Entered() <-chan struct{} { return s.entered }

func (s *StallFS) wait() {
	s.mu.Lock()
	g := s.gate
	if g != nil {
		s.holding++
	}
	s.mu.Unlock()
	if g == nil {
		return
	}
	select {
	case s.entered <- struct{}{}:
	default: // nobody is counting this many
	}
	<-g
	s.mu.Lock()
	s.holding--
	s.mu.Unlock()
}

// stallNode is a loopback node whose Fsync waits while the fs is stalled.
type stallNode struct {
	*fs.LoopbackNode
	fs *StallFS
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
