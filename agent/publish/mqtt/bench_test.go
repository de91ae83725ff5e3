package mqtt

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/agent/testbroker"
)

// BenchmarkPublish is the publisher's throughput with the spool and a real
// mosquitto on loopback: b.N motion events published by one goroutine, the
// timer stopping when the broker has acknowledged them all (the spool is
// empty). Reports msgs/s and the spool's bytes per event (measured with
// 100 events spooled before connecting).
//
//	go test -run '^$' -bench Publish -benchtime 5000x ./agent/publish/mqtt
func BenchmarkPublish(b *testing.B) {
	for _, fsync := range []string{"always", "interval", "never"} {
		b.Run("fsync="+fsync, func(b *testing.B) {
			br := testbroker.Start(b)
			cfg := testConfig(br.URL(), b.TempDir())
			cfg.Spool.Fsync = fsync
			cfg.Spool.MaxBytes = 1 << 30
			c, _, _ := runClient(b, cfg, nil)
			ctx := context.Background()
			waitConnected(b, c)
			br.Stop()
			for c.Connected() {
				time.Sleep(10 * time.Millisecond)
			}
			for i := 0; i < 100; i++ {
				if err := c.Publish(ctx, motion("cam1", i)); err != nil {
					b.Fatal(err)
				}
			}
			n, bytes, _ := c.SpoolStats()
			br.Start()
			waitConnected(b, c)
			waitEmpty(b, c)

			msgs := make([]event.Message, b.N)
			for i := range msgs {
				msgs[i] = motion("cam1", i)
			}
			b.ResetTimer()
			for _, m := range msgs {
				if err := c.Publish(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			waitEmpty(b, c)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			// After ResetTimer, which clears reported metrics.
			b.ReportMetric(float64(bytes)/float64(n), "spool-bytes/event")
		})
	}
}

func waitEmpty(b *testing.B, c *Client) {
	deadline := time.Now().Add(2 * time.Minute)
	for n, _, _ := c.SpoolStats(); n > 0; n, _, _ = c.SpoolStats() {
		if time.Now().After(deadline) {
			b.Fatalf("%d messages still spooled after 2 min", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkPublishParallel is fsync=always with four cameras publishing at
// once: concurrent Publish calls share one fsync (group commit).
func BenchmarkPublishParallel(b *testing.B) {
	br := testbroker.Start(b)
	cfg := testConfig(br.URL(), b.TempDir())
	cfg.Spool.MaxBytes = 1 << 30
	c, _, _ := runClient(b, cfg, nil)
	waitConnected(b, c)
	var cam atomic.Int64
	b.SetParallelism(2) // 2 × GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		name := fmt.Sprintf("cam%d", cam.Add(1))
		for i := 0; pb.Next(); i++ {
			if err := c.Publish(context.Background(), motion(name, i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	waitEmpty(b, c)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
