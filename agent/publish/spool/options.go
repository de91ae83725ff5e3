package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Fsync is when the spool forces records to stable storage.
type Fsync string

// Fsync policies.
const (
	FsyncAlways   Fsync = "always"
	FsyncInterval Fsync = "interval"
	FsyncNever    Fsync = "never"
)

// Policy is what happens when a new record does not fit in MaxBytes.
type Policy string

// Full-spool policies.
const (
	PolicyDropOldestCounts Policy = "drop_oldest_counts"
	PolicyDropNewest       Policy = "drop_newest"
)

// Drop reasons passed to Options.OnDrop.
const (
	DropFull      = "full"        // the new record was refused
	DropCounts    = "full_counts" // an old counts record made room
	DropAge       = "age"         // older than MaxAge
	DropCorrupt   = "corrupt"     // unreadable on disk (found at Open or by Next)
	DropTooBig    = "too_big"     // larger than MaxBytes on its own
	DropDiskFull  = "disk_full"   // the disk had no space (ENOSPC, EDQUOT)
	DropDiskError = "disk_error"  // any other write or fsync failure (EROFS, EIO …)
)

// ErrFull is returned by Append when the full-spool policy refused the
// record. The drop has been reported through OnDrop already.
var ErrFull = errors.New("spool full: message dropped")

// ErrDisk is returned (wrapped, with the system's error) by Append when the
// record could not be written or made durable. The drop has been reported
// through OnDrop already, and Health says why until the disk takes writes
// again.
var ErrDisk = errors.New("spool: disk write failed: message dropped")

// Options configure a spool; the zero value is usable.
type Options struct {
	// MaxBytes bounds the queued records' size. It defaults to 64 MiB.
	MaxBytes int64
	// MaxAge drops records older than this. It defaults to 7 days;
	// negative means no limit.
	MaxAge time.Duration
	// Fsync defaults to FsyncAlways.
	Fsync Fsync
	// FsyncEvery is the period of FsyncInterval. It defaults to 1 second.
	FsyncEvery time.Duration
	// Policy defaults to PolicyDropOldestCounts.
	Policy Policy
	// SegmentBytes is the size at which a segment is closed. It defaults
	// to MaxBytes/16, within 64 KiB … 4 MiB.
	SegmentBytes int64
	// OnDrop, if set, is told about every drop (reason, count). It is
	// called without the spool's lock held and must not block.
	OnDrop func(reason string, n int)
	// OnDurable, if set, is called (without the lock, must not block)
	// when more records became durable and so may be handed out by Next.
	OnDurable func()
	// Log receives the warnings of recovery (a rebuilt state.json). It
	// defaults to discarding them.
	Log *slog.Logger
	// Now is the wall clock, read at Open only. It defaults to time.Now.
	Now func() time.Time
	// Monotonic is a clock that never jumps, as time since boot; ages are
	// measured with it, across a restart in the same boot too. It
	// defaults to CLOCK_BOOTTIME (which counts suspend).
	Monotonic func() time.Duration
	// BootID names the boot that Monotonic counts from; "" means unknown
	// (every Open is then taken for a reboot). It defaults to the
	// kernel's boot_id with the default Monotonic, to "" with another.
	BootID func() string
}

func (o *Options) defaults() error {
	if o.MaxBytes == 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxBytes < 0 {
		return fmt.Errorf("max_bytes: must be positive, got %d", o.MaxBytes)
	}
	if o.MaxAge == 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	switch o.Fsync {
	case "":
		o.Fsync = FsyncAlways
	case FsyncAlways, FsyncInterval, FsyncNever:
	default:
		return fmt.Errorf("fsync: %q is not one of always, interval, never", o.Fsync)
	}
	if o.FsyncEvery <= 0 {
		o.FsyncEvery = time.Second
	}
	switch o.Policy {
	case "":
		o.Policy = PolicyDropOldestCounts
	case PolicyDropOldestCounts, PolicyDropNewest:
	default:
		return fmt.Errorf("policy: %q is not one of drop_oldest_counts, drop_newest", o.Policy)
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = min(max(o.MaxBytes/16, 64<<10), 4<<20)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Monotonic == nil {
		if _, err := bootTime(); err != nil {
			return fmt.Errorf("CLOCK_BOOTTIME: %w", err)
		}
		o.Monotonic = func() time.Duration { d, _ := bootTime(); return d }
		if o.BootID == nil {
			o.BootID = readBootID
		}
	}
	if o.BootID == nil {
		// The kernel's boot id does not name another Monotonic clock.
		o.BootID = func() string { return "" }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}
