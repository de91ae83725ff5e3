package mqtt

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/testbroker"
	"github.com/pantau/pantau/agent/testdisk"
)

// spoolStatusCommands answers status with the client's spool status, as
// the agent's status command does.
type spoolStatusCommands struct{ c *Client }

func (s spoolStatusCommands) HandleCommand(context.Context, string, []byte) (any, error) {
	return s.c.SpoolStatus(), nil
}

// TestStuckDiskKeepsTheClientAnswering is item 4 of issue 12 through the
// client, its spool on a FUSE filesystem whose fsync does not return
// (testdisk.StallFS, a stalled card): a durable Publish returns its
// context's error at its deadline; the spool status and a status command
// sent through the broker are answered at once; messages already durable
// keep flowing; once the disk answers, the event published during the
// stall is delivered.
func TestStuckDiskKeepsTheClientAnswering(t *testing.T) {
	disk := testdisk.NewStallFS(t)
	b := testbroker.Start(t)
	sub := testbroker.Subscribe(t, b.URL(), prefix+"#")
	c, logs, stop := runClient(t, testConfig(b.URL(), filepath.Join(disk.Dir, "spool")), nil)
	t.Cleanup(func() { disk.Resume(); stop() })
	c.HandleCommands(spoolStatusCommands{c})
	waitConnected(t, c)
	if err := c.Publish(context.Background(), motion("cam1", 1)); err != nil {
		t.Fatal(err)
	}
	sub.WaitTopic(t, 10*time.Second, prefix+"cam1/event/motion", "")

	disk.Stall()
	const deadline = 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := c.Publish(ctx, motion("cam1", 2))
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || took < deadline || took > deadline+time.Second {
		t.Fatalf("durable Publish on a stuck disk: %v after %v, want its context's DeadlineExceeded at %v\n%s", err, took, deadline, logs)
	}
	if disk.Held() == 0 {
		t.Fatal("no fsync is held: the disk was not stuck")
	}
	start = time.Now()
	st := c.SpoolStatus()
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("SpoolStatus took %v with an fsync stuck", d)
	}
	if st.Messages != 1 {
		t.Fatalf("spool status %+v, want the stuck event queued", st)
	}
	start = time.Now()
	sub.Publish(t, prefix+"cmd/status", stamped(`{"request_id":"stuck"}`), false)
	sub.WaitTopic(t, 3*time.Second, prefix+"cmd/status/result", `"stuck"`)
	t.Logf("durable Publish returned after %v; status command answered in %v with the fsync stuck", took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	disk.Resume()
	sub.Wait(t, 15*time.Second, "the event published during the stall", func(ms []testbroker.Message) bool {
		return len(sub.On(prefix+"cam1/event/motion")) >= 2
	})
}
