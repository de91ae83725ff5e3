package spool

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testdisk"
)

// prompt runs fn and fails the test if it does not return within limit:
// the calls checked here must never wait for the disk.
func prompt(t *testing.T, what string, limit time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s did not return within %v while an fsync is stuck", what, limit)
	}
	t.Logf("%s returned in %v", what, time.Since(start).Round(time.Microsecond))
}

// TestStalledFsyncBlocksOnlyTheDurableWrite is item 4 of issue 12 on a
// real stuck disk (testdisk.StallFS, a FUSE filesystem whose fsync does not
// return): a durable Append returns its context's error at its deadline,
// and Ack, Next, Stats, Health and LastSeq answer at once; acks that free
// whole segments (maintenance that fsyncs state.json) do not hold Ack
// either. Once the disk answers again, the record appended during the
// stall is handed out: it was kept, not lost.
func TestStalledFsyncBlocksOnlyTheDurableWrite(t *testing.T) {
	sfs := testdisk.NewStallFS(t)
	s, err := Open(filepath.Join(sfs.Dir, "spool"), Options{SegmentBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sfs.Resume(); s.Close() })

	body := strings.Repeat("b", 300)
	var before []Record
	for i := 0; i < 40; i++ { // several segments, so acks can free some
		before = append(before, appendMsg(t, s, "cam1", KindEvent, body))
	}

	sfs.Stall()
	const deadline = 400 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	stuck, err := s.Append(ctx, "cam1", KindEvent, "pantau/v1/s/a/cam1/x", false, func(seq uint64) ([]byte, error) {
		return []byte(body), nil
	})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("durable Append on a stuck disk: %v, want its context's DeadlineExceeded", err)
	}
	if took < deadline || took > deadline+time.Second {
		t.Fatalf("durable Append returned after %v, want at its %v deadline", took, deadline)
	}
	if sfs.Held() == 0 {
		t.Fatal("no fsync is held by the filesystem: the test did not stall the disk")
	}
	t.Logf("durable Append returned %v after %v with %d fsync(s) stuck", err, took.Round(time.Millisecond), sfs.Held())

	const limit = 300 * time.Millisecond
	prompt(t, "Stats", limit, func() { s.Stats() })
	prompt(t, "Health", limit, func() { s.Health() })
	prompt(t, "LastSeq", limit, func() {
		if got := s.LastSeq("cam1"); got != stuck.Seq {
			t.Errorf("LastSeq %d, want %d", got, stuck.Seq)
		}
	})
	var after uint64
	for i, want := range before {
		prompt(t, "Next", limit, func() {
			r, ok, err := s.Next(after)
			if err != nil || !ok || r.Index != want.Index {
				t.Errorf("Next(%d) = %d, %v, %v; want record %d", after, r.Index, ok, err, want.Index)
			}
		})
		// Acking in order frees whole segments: maintenance then saves
		// state.json (an fsync that sticks too) and deletes them.
		prompt(t, "Ack", limit, func() {
			if err := s.Ack(want.Index); err != nil {
				t.Errorf("Ack(%d): %v", want.Index, err)
			}
		})
		after = want.Index
		if t.Failed() {
			t.Fatalf("stopped at record %d", i)
		}
	}
	prompt(t, "Next past the stuck record", limit, func() {
		if r, ok, _ := s.Next(after); ok {
			t.Errorf("Next handed out record %d before it was durable", r.Index)
		}
	})
	if st := s.Stats(); st.Messages != 1 {
		t.Fatalf("%d messages queued during the stall, want 1 (the stuck record)", st.Messages)
	}

	sfs.Resume()
	deadlineAt := time.Now().Add(5 * time.Second)
	for {
		r, ok, err := s.Next(after)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if r.Index != stuck.Index || r.Seq != stuck.Seq {
				t.Fatalf("after the stall Next gave index %d seq %d, want the stuck record %d/%d", r.Index, r.Seq, stuck.Index, stuck.Seq)
			}
			break
		}
		if time.Now().After(deadlineAt) {
			t.Fatal("the record appended during the stall never became durable after the disk came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if h := s.Health(); h.Err != nil {
		t.Fatalf("Health after the disk came back: %v", h.Err)
	}
}

// TestIntervalHandsOutOnlyDurable is item 3's "a record goes to the sender
// only once durable under the configured fsync policy", for
// fsync: interval on a disk whose fsync is stuck: Append returns at once
// (that is what interval trades away), Next does not hand the record out
// while its fsync has not returned, and does as soon as it has.
func TestIntervalHandsOutOnlyDurable(t *testing.T) {
	sfs := testdisk.NewStallFS(t)
	s, err := Open(filepath.Join(sfs.Dir, "spool"), Options{Fsync: FsyncInterval, FsyncEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sfs.Resume(); s.Close() })

	sfs.Stall()
	var r Record
	prompt(t, "Append with fsync: interval", 300*time.Millisecond, func() { r = appendMsg(t, s, "cam1", KindEvent, "x") })
	select {
	case <-sfs.Entered(): // the interval sync reached the disk and is stuck
	case <-time.After(5 * time.Second):
		t.Fatal("no fsync reached the filesystem within 5 s of an interval append")
	}
	for i := 0; i < 10; i++ {
		if got, ok, _ := s.Next(0); ok {
			t.Fatalf("Next handed out record %d while its fsync was stuck", got.Index)
		}
		time.Sleep(30 * time.Millisecond)
	}
	sfs.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, ok, err := s.Next(0)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if got.Index != r.Index {
				t.Fatalf("Next gave %d, want %d", got.Index, r.Index)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the record was not handed out after its fsync returned")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
