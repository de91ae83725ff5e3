// Package spool is the publisher's on-disk outgoing queue: every durable
// message (events and counts) is written here before Publish returns, and
// removed only after the broker acknowledged it (PUBACK), so neither a
// broker outage nor a kill -9 or power loss of the agent loses an accepted
// message, and what a sick disk does lose is counted.
//
// # Layout
//
// A spool directory holds:
//
//	seg-<first index, 20 digits>.rec   append-only segments of records (format 2)
//	seg-<first index, 20 digits>.log   format-1 segments of an older agent, read only
//	acks.log                           index ranges that are done (acked or dropped)
//	state.json                         next index, last seq per camera, deleted ranges, clock
//	reserve                            64 KiB kept free for state.json on a full disk
//	LOCK                               flock(2): one process per spool
//
// A format-2 record is framed as
//
//	u32 magic "PSR2" | u32 body length | u32 CRC-32C of body |
//	u32 CRC-32C of the twelve bytes before | body
//	body: u64 index | u64 seq | i64 spooled (unix ns) | u8 kind | u8 flags |
//	      u16 camera length | u16 topic length | camera | topic | payload
//
// (little endian). Format 1 had only length and body CRC. Index orders
// every record of the spool and is never reused; seq numbers the records
// of one camera from 1 upward and is what the payload carries. New records
// go to the last segment; a segment is closed at SegmentBytes and a new
// one started.
//
// acks.log is a sequence of 20-byte entries (u64 first, u64 last, u32 CRC)
// naming index ranges that are done. Acks are appended without fsync: an ack
// lost in a crash only means the message is sent again, which its id makes
// detectable. When every record of a segment is done, state.json is
// rewritten (write, fsync, rename, fsync dir; it carries its own CRC-32C)
// and the segment deleted, so seq and index carry on across restarts even
// when the spool is empty. A segment that is mostly holes (left by the
// full-spool policy or acks out of order) is compacted: state.json is saved
// first, then its live records are copied to a new file, fsynced, that
// replaces it. acks.log is rewritten from memory when it grows or when an
// ack could not be written.
//
// # Recovery
//
// Open reads state.json, acks.log, then every segment in order. A record
// that fails its checks (magic, header CRC, length, body CRC, an index
// that does not follow) is skipped: the scan resumes at the next offset
// where a whole record checks out. The indices the damage hid that are not
// done are counted as "corrupt" drops and marked done, so a restart does
// not count them again. After the last good record of the last segment, a
// cut record or zeros (what a crash leaves of a write never reported
// durable) are cut off silently; anything else there is counted. A missing
// or unreadable state.json is rebuilt from the segments and acks.log, with
// a warning: seq then restarts after each camera's last record still on
// disk. The next index is above every index a record, an ack or a segment
// name holds. Records not done are queued again in index order.
//
// # Durability
//
// Next hands out only durable records, so an index the broker saw can
// never be reused for another record after a crash. With FsyncAlways (the
// default) Append returns after the group commit that covered its record
// (concurrent Appends share one fsync). With FsyncInterval, Append returns
// after the write and a background fsync every FsyncEvery makes records
// durable: a power loss loses up to FsyncEvery of messages, reported
// accepted but never sent, and sending waits for that fsync. With
// FsyncNever records are handed out at once: a power loss can lose records
// the broker already has and, with them, the seq and index they used, so
// seq may restart lower. A kill -9 loses nothing under any policy.
//
// No fsync happens under the lock Ack, Next and Stats take: group commits,
// state.json, compaction and the acks.log rewrite write outside it.
// Append honours its context while it waits for the fsync.
//
// # Full or failing disk
//
// A record the disk does not take (ENOSPC, EDQUOT: "disk_full"; EROFS, EIO:
// "disk_error") is dropped with its seq used, so subscribers see the gap;
// Append returns ErrDisk and Health says why. If an fsync fails, the
// records it covered are dropped the same way (Linux may have discarded
// their pages). Acks keep working without writing: delivered segments are
// deleted after state.json is saved, for which the reserve file is given
// up when the disk is full. Probe rewrites the reserve; Health clears when
// a write and its fsync succeed again. Nothing needs a restart.
//
// # Clocks
//
// Ages are measured on a spool clock, moved by CLOCK_BOOTTIME (which never
// jumps and counts suspend). Records are stamped with it, so wall-clock
// jumps either way change no age while the process runs. state.json keeps
// the spool clock, the kernel's boot_id and CLOCK_BOOTTIME when saved (at
// the first Open of a boot, at every delete and at Close), so an Open in
// the same boot goes on from there by the boottime elapsed, whatever the
// wall clock says now: a restart after NTP moved the clock counts only
// the real downtime. After a reboot boottime starts again and the
// downtime is unknown: the spool clock starts at the wall clock, or at the
// newest record's stamp if the wall clock is behind it (a box without RTC
// before NTP), where the downtime counts as zero. A state.json without the
// clock (written before it was kept) is taken as from another boot.
//
// # Bounds
//
// MaxBytes bounds the bytes of the queued records (what Stats reports);
// MaxAge drops records older than that. When a new record does not fit,
// PolicyDropOldestCounts drops the oldest counts records (events are kept;
// if no counts are left the new record is refused), PolicyDropNewest
// refuses the new record. Refused records make Append return ErrFull;
// every drop is reported through Options.OnDrop with its reason.
package spool
