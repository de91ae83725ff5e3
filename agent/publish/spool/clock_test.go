package spool

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const years56 = 56 * 365 * 24 * time.Hour

// backlog opens a spool under the clocks c (a box without RTC, clock at
// 1970) and spools two records 20 minutes apart, as during a broker outage.
func backlog(t *testing.T, dir string, c *fakeClocks, opt Options) *Spool {
	t.Helper()
	s := mustOpen(t, dir, opt)
	appendMsg(t, s, "cam1", KindEvent, "a")
	c.advance(20 * time.Minute)
	appendMsg(t, s, "cam1", KindEvent, "b")
	return s
}

// copyDir copies the files of a spool that is still open: what a SIGKILL
// leaves (appended records are in the files; state.json is the last one
// saved).
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	names, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(from, n.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, n.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestAgeSurvivesAClockJumpWhileStoppedInTheSameBoot: NTP moves the clock
// 56 years on while the agent is stopped (closed, or killed) and it starts
// again in the same boot: nothing expires at Open, and later ages still
// count by the monotonic clock. The boot id and clocks are injected
// through Options (fakeClocks), since neither NTP nor a reboot can be
// played for real in a test.
func TestAgeSurvivesAClockJumpWhileStoppedInTheSameBoot(t *testing.T) {
	for _, stop := range []string{"close", "kill"} {
		t.Run(stop, func(t *testing.T) {
			c := &fakeClocks{wall: time.Unix(0, 0).UTC(), boot: "boot-1"}
			var d dropCounter
			opt := Options{MaxAge: time.Hour, Now: c.now, Monotonic: c.monotonic, BootID: c.bootID, OnDrop: d.onDrop}
			dir := t.TempDir()
			s := backlog(t, dir, c, opt)
			if stop == "close" {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				// state.json is the one saved at the first Open.
				dir = copyDir(t, dir)
			}
			c.advance(10 * time.Minute) // stopped
			c.jump(years56)
			s = mustOpen(t, dir, opt)
			if st := s.Stats(); st.Messages != 2 || st.Oldest != 30*time.Minute || d.get(DropAge) != 0 {
				t.Fatalf("after a restart 56 years on: %+v, age drops %d; want 2 messages, oldest 30m, no drop", st, d.get(DropAge))
			}
			c.advance(31 * time.Minute)
			if err := s.Expire(); err != nil {
				t.Fatal(err)
			}
			if got := drain(t, s); len(got) != 1 || got[0].Seq != 2 || d.get(DropAge) != 1 {
				t.Fatalf("61 minutes after the first record: seqs %v, age drops %d; want [2] and 1", seqs(got), d.get(DropAge))
			}
			r := appendMsg(t, s, "cam1", KindEvent, "c")
			if want := time.Unix(0, 0).Add(61 * time.Minute); !r.Spooled.Equal(want) {
				t.Fatalf("new record stamped %v, want %v (spool clock, not the wall clock)", r.Spooled.UTC(), want.UTC())
			}
			c.advance(20 * time.Minute)
			if err := s.Expire(); err != nil {
				t.Fatal(err)
			}
			if st := s.Stats(); st.Messages != 1 || st.Oldest != 20*time.Minute || d.get(DropAge) != 2 {
				t.Fatalf("81 minutes on: %+v, age drops %d; want the new record only, 2 drops", st, d.get(DropAge))
			}
		})
	}
}

// TestAgeAfterARebootCountsTheWallClock: after a reboot (a new boot id,
// injected as above) the downtime is unknown and the wall clock is taken
// for it, as before state.json kept the boot: a clock 56 years on expires
// the backlog at Open; so does the same boot id with a monotonic clock
// behind the saved one (no such boot can be the same).
func TestAgeAfterARebootCountsTheWallClock(t *testing.T) {
	for _, boot := range []string{"boot-2", "boot-1"} {
		t.Run(boot, func(t *testing.T) {
			c := &fakeClocks{wall: time.Unix(0, 0).UTC(), boot: "boot-1"}
			var d dropCounter
			opt := Options{MaxAge: time.Hour, Now: c.now, Monotonic: c.monotonic, BootID: c.bootID, OnDrop: d.onDrop}
			dir := t.TempDir()
			c.advance(time.Hour) // the first Open is an hour into boot-1
			if err := backlog(t, dir, c, opt).Close(); err != nil {
				t.Fatal(err)
			}
			c.reboot(boot)
			c.jump(years56)
			s := mustOpen(t, dir, opt)
			if st := s.Stats(); st.Messages != 0 || d.get(DropAge) != 2 {
				t.Fatalf("after a reboot 56 years on: %+v, age drops %d; want both records expired", st, d.get(DropAge))
			}
		})
	}
}

// TestStateWithoutClockOpens: state.json as written before it kept the
// clock (format 1 without a CRC, format 2 with one) opens without a
// warning, keeps seq and records, takes the wall clock as after a reboot,
// and is saved with the clock at Open (so a crash after it is covered).
func TestStateWithoutClockOpens(t *testing.T) {
	for _, format := range []string{"format-1", "format-2"} {
		t.Run(format, func(t *testing.T) {
			c := &fakeClocks{wall: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), boot: "boot-1"}
			opt := Options{MaxAge: time.Hour, Now: c.now, Monotonic: c.monotonic, BootID: c.bootID}
			dir := t.TempDir()
			s := backlog(t, dir, c, opt)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			old := []byte(`{"next_index":3,"seq":{"cam1":2}}`)
			if format == "format-2" {
				var err error
				if old, err = encodeState(state{NextIndex: 3, Seq: map[string]uint64{"cam1": 2}}); err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(old, []byte("boot")) {
					t.Fatalf("an old state encodes the clock fields: %s", old)
				}
			}
			p := filepath.Join(dir, "state.json")
			if err := os.WriteFile(p, old, 0o600); err != nil {
				t.Fatal(err)
			}
			c.advance(10 * time.Minute)
			c.jump(15 * time.Minute) // tells the wall clock's rule from the boot's
			var logs bytes.Buffer
			opt.Log = slog.New(slog.NewTextHandler(&logs, nil))
			s = mustOpen(t, dir, opt)
			if logs.Len() != 0 {
				t.Fatalf("warnings for an old state.json: %s", logs.String())
			}
			if st := s.Stats(); st.Messages != 2 || st.Oldest != 45*time.Minute {
				t.Fatalf("after opening an old state.json: %+v; want 2 messages, oldest 45m (by the wall clock)", st)
			}
			if r := appendMsg(t, s, "cam1", KindEvent, "c"); r.Seq != 3 || r.Index != 3 {
				t.Fatalf("next record seq %d index %d, want 3 and 3", r.Seq, r.Index)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			st, err := decodeState(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.now().UnixNano(); st.BootID != "boot-1" || st.ClockNS != want || st.BoottimeNS != int64(c.monotonic()) {
				t.Fatalf("state.json after Open: %s; want boot-1, spool clock %d, boottime %d", b, want, c.monotonic())
			}
		})
	}
}

// TestDefaultClockIsThisBoot: with the default clocks, state.json holds
// this boot's kernel boot_id and CLOCK_BOOTTIME (checked against
// /proc/uptime, which the kernel counts on the same clock), and a reopen
// with the wall clock read 56 years on (only Now is injected: the real
// clock cannot be moved in a test) expires nothing.
func TestDefaultClockIsThisBoot(t *testing.T) {
	dir := t.TempDir()
	var d dropCounter
	s := mustOpen(t, dir, Options{MaxAge: time.Hour, OnDrop: d.onDrop})
	appendMsg(t, s, "cam1", KindEvent, "a")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	id, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	var upSec float64
	if _, err := fmt.Sscan(string(up), &upSec); err != nil {
		t.Fatalf("/proc/uptime %q: %v", up, err)
	}
	if st.BootID != string(bytes.TrimSpace(id)) || st.BootID == "" {
		t.Fatalf("state.json boot_id %q, kernel boot_id %q", st.BootID, id)
	}
	if diff := time.Duration(upSec*1e9) - time.Duration(st.BoottimeNS); diff < -time.Second || diff > 5*time.Second {
		t.Fatalf("state.json boottime %v, /proc/uptime %.2fs", time.Duration(st.BoottimeNS), upSec)
	}
	s = mustOpen(t, dir, Options{MaxAge: time.Hour, OnDrop: d.onDrop, Now: func() time.Time { return time.Now().Add(years56) }})
	if st := s.Stats(); st.Messages != 1 || st.Oldest > time.Minute || d.get(DropAge) != 0 {
		t.Fatalf("reopened with the wall clock 56 years on: %+v, age drops %d", st, d.get(DropAge))
	}
}
