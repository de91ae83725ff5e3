package spool

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// bootTime is CLOCK_BOOTTIME: it never jumps with the wall clock and,
// unlike Go's monotonic clock, it goes on during suspend, so it measures
// the time between two processes of the same boot too.
func bootTime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}

// readBootID is the kernel's random id of this boot; "" if unknown.
func readBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// clockAnchor ties the spool clock to Options.Monotonic within one boot;
// state.json keeps the last one saved.
type clockAnchor struct {
	boot  string
	clock int64         // spool clock, unix ns
	mono  time.Duration // Options.Monotonic at the same instant
}

// anchorLocked is the spool clock now, for state.json.
func (s *Spool) anchorLocked() clockAnchor {
	m := s.opt.Monotonic()
	return clockAnchor{boot: s.boot, clock: s.base.Add(m - s.mono0).UnixNano(), mono: m}
}

// startClock sets the spool clock at Open. In the boot that saved the
// anchor it goes on from the anchor by the monotonic time since, whatever
// the wall clock says now (NTP may have moved it while the agent was
// stopped). After a reboot the downtime is unknown: it is taken from the
// wall clock, counted as zero where the wall clock is behind the newest
// record. It reports whether the anchor was used.
func (s *Spool) startClock(saved clockAnchor) bool {
	s.boot = s.opt.BootID()
	s.base, s.mono0 = s.opt.Now(), s.opt.Monotonic()
	resumed := s.boot != "" && saved.boot == s.boot && s.mono0 >= saved.mono
	if resumed {
		s.base = time.Unix(0, saved.clock).Add(s.mono0 - saved.mono)
	}
	if newest := time.Unix(0, s.newest); newest.After(s.base) {
		s.base = newest
	}
	return resumed
}
