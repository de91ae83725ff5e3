package spool

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

func TestConcurrentAppendsShareFsyncAndKeepOrder(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{SegmentBytes: 4096})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		cam := fmt.Sprintf("cam%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if _, err := s.Append(context.Background(), cam, KindEvent, "t/"+cam, false, func(seq uint64) ([]byte, error) {
					return fmt.Appendf(nil, `{"seq":%d}`, seq), nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	last := map[string]uint64{}
	for _, r := range drain(t, s) {
		if r.Seq != last[r.Camera]+1 || string(r.Payload) != fmt.Sprintf(`{"seq":%d}`, r.Seq) {
			t.Fatalf("camera %s: seq %d after %d (payload %s)", r.Camera, r.Seq, last[r.Camera], r.Payload)
		}
		last[r.Camera] = r.Seq
		if err := s.Ack(r.Index); err != nil {
			t.Fatal(err)
		}
	}
	for w := 0; w < 4; w++ {
		if n := last[fmt.Sprintf("cam%d", w)]; n != 100 {
			t.Fatalf("cam%d: %d records", w, n)
		}
	}
	if st := s.Stats(); st.Messages != 0 || st.Bytes != 0 {
		t.Fatalf("after acking all: %+v", st)
	}
}

// eventPayload is a motion event as agent/event encodes it (about 230 bytes).
const eventPayload = `{"schema":"pantau.event.motion/v1","id":"4f1c2b7d9e0a4b3c8d7e6f5a4b3c2d1e","seq":%d,"ts":"2026-11-27T15:04:05.123Z","site":"test-site","agent":"box-1","camera":"cam1","state":"start","area":0.0412,"boxes":[[0.1,0.2,0.3,0.4]]}`

// BenchmarkAppendAck appends a typical event and acks it, as the publisher
// does with a connected broker: the spool's cost per message. It reports
// spool bytes per event on disk.
func BenchmarkAppendAck(b *testing.B) {
	for _, fs := range []Fsync{FsyncAlways, FsyncInterval, FsyncNever} {
		b.Run("fsync="+string(fs), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{Fsync: fs})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var size int
			for i := 0; i < b.N; i++ {
				r, err := s.Append(context.Background(), "cam1", KindEvent, "pantau/v1/test-site/box-1/cam1/event/motion", false, func(seq uint64) ([]byte, error) {
					return fmt.Appendf(nil, eventPayload, seq), nil
				})
				if err != nil {
					b.Fatal(err)
				}
				size = encodedSize(r.Camera, r.Topic, len(r.Payload))
				s.Ack(r.Index)
			}
			b.ReportMetric(float64(size), "spool-bytes/event")
			b.ReportMetric(float64(size-len(fmt.Sprintf(eventPayload, 1))), "overhead-bytes/event")
		})
	}
}

// BenchmarkAppendParallel measures group commit: several cameras appending
// at once with FsyncAlways share fsyncs.
func BenchmarkAppendParallel(b *testing.B) {
	s, err := Open(b.TempDir(), Options{MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Append(context.Background(), "cam1", KindEvent, "pantau/v1/test-site/box-1/cam1/event/motion", false, func(seq uint64) ([]byte, error) {
				return fmt.Appendf(nil, eventPayload, seq), nil
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
