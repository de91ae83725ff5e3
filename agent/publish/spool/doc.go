// Package spool is the publisher's on-disk outgoing queue: every durable
// message (events and counts) is written here before Publish returns, and
// removed only after the broker acknowledged it (PUBACK), so neither a
// broker outage nor a kill -9 or power loss of the agent loses an accepted
// message.
//
// # Layout
//
// A spool directory holds:
//
//	seg-<first index, 20 digits>.log   append-only segments of records
//	acks.log                           index ranges that are done (acked or dropped)
//	state.json                         next index and last seq per camera
//	LOCK                               flock(2): one process per spool
//
// A record is framed as
//
//	u32 body length | u32 CRC-32C of body | body
//	body: u64 index | u64 seq | i64 spooled (unix ns) | u8 kind | u8 flags |
//	      u16 camera length | u16 topic length | camera | topic | payload
//
// (little endian). Index orders every record of the spool and is never
// reused; seq numbers the records of one camera from 1 upward and is what
// the payload carries. New records go to the last segment; a segment is
// closed at SegmentBytes and a new one started.
//
// acks.log is a sequence of 20-byte entries (u64 first, u64 last, u32 CRC)
// naming index ranges that are done. Acks are appended without fsync: an ack
// lost in a crash only means the message is sent again, which its id makes
// detectable. When every record of a segment is done, state.json is
// rewritten (write, fsync, rename, fsync dir) and the segment deleted, so
// seq and index carry on across restarts even when the spool is empty.
// acks.log is rewritten as a few ranges when it grows. A segment whose
// records are mostly done but which still holds live ones (holes left by the
// full-spool policy) is compacted: its live records are copied to a new file
// that replaces it atomically.
//
// # Recovery
//
// Open reads acks.log, then every segment in order, checking each record's
// CRC. A torn record at the end of the last segment (a write cut by a
// crash, never acknowledged to a caller when Fsync is FsyncAlways) is cut
// off; a bad record inside an older segment ends that segment (counted as a
// "corrupt" drop). Records not named in acks.log are queued again in index
// order, which keeps every camera's order.
//
// # Durability
//
// With FsyncAlways (the default) Append returns only after the segment was
// fsync'ed; concurrent Appends share one fsync (group commit). FsyncInterval
// syncs in the background every FsyncEvery: a kill -9 loses nothing (the
// data is in the kernel), a power loss up to FsyncEvery of messages.
// FsyncNever leaves it to the kernel.
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
