package spool

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testdisk"
)

// TestStallFSHoldsFsync checks the filesystem itself: a write returns,
// the fsync after it does not until resume.
func TestStallFSHoldsFsync(t *testing.T) {
	sfs := testdisk.NewStallFS(t)
	f, err := os.Create(filepath.Join(sfs.Dir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	sfs.Stall()
	done := make(chan error, 1)
	go func() { done <- f.Sync() }()
	select {
	case <-sfs.Entered():
	case <-time.After(5 * time.Second):
		t.Fatal("fsync never reached the FUSE filesystem")
	}
	select {
	case err := <-done:
		t.Fatalf("fsync returned (%v) while the filesystem holds it", err)
	case <-time.After(300 * time.Millisecond):
	}
	sfs.Resume()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fsync after resume: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fsync still held after resume")
	}
}
