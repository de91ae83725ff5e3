package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/pantau/pantau/vision"
	"github.com/pantau/pantau/vision/frame"
)

// BenchmarkHandoff measures the latest-wins hand-off of pooled frames
// between the decoder goroutine and the analyzer goroutine.
func BenchmarkHandoff(b *testing.B) {
	pool := make(chan *frame.Frame, 4)
	for i := 0; i < cap(pool); i++ {
		var f *frame.Frame
		f = frame.New(nil, func(*frame.Frame) { pool <- f })
		defer f.Close()
		pool <- f
	}
	mb := newMailbox()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for h := mb.take(); h.f != nil; h = mb.take() {
			h.f.Release()
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mb.put(handed{f: <-pool})
	}
	mb.close()
	<-done
}

type nopAnalyzer struct{}

func (nopAnalyzer) Name() string                               { return "nop" }
func (nopAnalyzer) Analyze(*frame.Frame, *vision.Result) error { return nil }

// BenchmarkPipeline pushes 1080p25 access units through the running
// pipeline (queue, decode, 5 fps gate, hand-off, a no-op analyzer); one op
// is one access unit. allocs/op is the steady-state Go heap cost per unit.
func BenchmarkPipeline(b *testing.B) {
	aus, _ := loadClip(b, clipPath(b, "cam1080_h264.mp4"))
	p, err := New(Config{Decode: ModeFull, Queue: 64}, []Analyzer{nopAnalyzer{}}, func(*vision.Result) {}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	push := func(i int) {
		au := aus[i%len(aus)]
		for len(p.queue) > 16 {
			time.Sleep(100 * time.Microsecond)
		}
		p.Push(AccessUnit{NALUs: au.NALUs, PTS: time.Duration(i) * 40 * time.Millisecond, RandomAccess: au.RandomAccess, Received: time.Now()})
	}
	for i := 0; i < 60; i++ {
		push(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		push(60 + i)
	}
	for len(p.queue) > 0 {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	st := p.Stats()
	b.ReportMetric(float64(st.Analysed)/float64(st.Received), "analysed/op")
	if st.DroppedTotal() != 0 {
		b.Errorf("dropped %v", st.Dropped)
	}
}
