package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/pantau/pantau/agent/event"
)

// Msg is one message, already validated, for Apply.
type Msg struct {
	// ID, Schema, Site, Agent, Camera ("" for the agent's own messages)
	// and Seq (0 when the message has none) come from the payload.
	ID, Schema, Site, Agent, Camera string
	Seq                             uint64
	// TS is the payload's ts (Recv when it has none); Recv is when the hub
	// received the message.
	TS, Recv time.Time
	// Payload is the message as received.
	Payload []byte
}

// Result says what Apply did with one message.
type Result struct {
	// Duplicate is set when a message with the same id was already stored.
	Duplicate bool
	// LostSpool is set when the message's seq started again at 1: the
	// agent's spool was lost and the camera's bookkeeping began a new epoch.
	LostSpool bool
	// GapOpened is how many seqs the message showed missing.
	GapOpened uint64
	// GapClosed is set when the message filled a missing seq.
	GapClosed bool
}

// Apply stores msgs in one transaction and returns one Result per message,
// in msgs' order. On error nothing is stored and the caller retries the
// batch (after the store is back); messages stay unacknowledged meanwhile.
func (s *Store) Apply(ctx context.Context, msgs []Msg) ([]Result, error) {
	// Lock cameras in one order so replicas applying overlapping batches
	// cannot deadlock; messages of one camera keep their order.
	order := make([]int, len(msgs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := msgs[order[a]], msgs[order[b]]
		if x.Site != y.Site {
			return x.Site < y.Site
		}
		if x.Agent != y.Agent {
			return x.Agent < y.Agent
		}
		return x.Camera < y.Camera
	})
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res := make([]Result, len(msgs))
	for _, i := range order {
		if res[i], err = s.apply(ctx, tx, &msgs[i]); err != nil {
			return nil, fmt.Errorf("store: message %s (%s): %w", msgs[i].ID, msgs[i].Schema, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit: %w", err)
	}
	return res, nil
}

func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	r, err := tx.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (s *Store) apply(ctx context.Context, tx *sql.Tx, m *Msg) (Result, error) {
	var res Result
	recv := ms(m.Recv)
	if _, err := s.exec(ctx, tx, `INSERT INTO agents (site, agent) VALUES (?, ?) ON CONFLICT DO NOTHING`, m.Site, m.Agent); err != nil {
		return res, err
	}
	if m.Camera != "" {
		if _, err := s.exec(ctx, tx, `INSERT INTO cameras (site, agent, camera) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, m.Site, m.Agent, m.Camera); err != nil {
			return res, err
		}
	}
	var one int
	err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM received WHERE id = ?`), m.ID).Scan(&one)
	switch {
	case err == nil:
		return s.duplicate(ctx, tx, m)
	case err != sql.ErrNoRows:
		return res, err
	}
	epoch := int64(0)
	if m.Seq > 0 {
		var gapErr error
		if epoch, res, gapErr = s.sequence(ctx, tx, m); gapErr != nil {
			return res, gapErr
		}
	}
	n, err := s.exec(ctx, tx, `INSERT INTO received (id, site, agent, camera, epoch, seq, schema_name, ts, recv)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.ID, m.Site, m.Agent, m.Camera, epoch, nullSeq(m.Seq), m.Schema, ms(m.TS), recv)
	if err != nil {
		return res, err
	}
	if n == 0 {
		// Another replica stored it between our check and now; its
		// transaction committed first, so ours only counts the duplicate.
		return s.duplicate(ctx, tx, m)
	}
	if m.Camera != "" {
		if _, err := s.exec(ctx, tx, `UPDATE cameras SET last_seen = ? WHERE site = ? AND agent = ? AND camera = ? AND last_seen < ?`,
			recv, m.Site, m.Agent, m.Camera, recv); err != nil {
			return res, err
		}
	}
	if _, err := s.exec(ctx, tx, `UPDATE agents SET last_seen = ? WHERE site = ? AND agent = ? AND last_seen < ?`,
		recv, m.Site, m.Agent, recv); err != nil {
		return res, err
	}
	return res, s.content(ctx, tx, m)
}

func nullSeq(seq uint64) any {
	if seq == 0 {
		return nil
	}
	return int64(seq)
}

func (s *Store) duplicate(ctx context.Context, tx *sql.Tx, m *Msg) (Result, error) {
	if m.Camera != "" {
		if _, err := s.exec(ctx, tx, `UPDATE cameras SET duplicates = duplicates + 1 WHERE site = ? AND agent = ? AND camera = ?`,
			m.Site, m.Agent, m.Camera); err != nil {
			return Result{}, err
		}
	}
	return Result{Duplicate: true}, nil
}

// sequence does the seq bookkeeping of a camera for a new message: a new
// epoch when seq starts again at 1, a gap when seq jumps, a gap closed (or
// split) when a late seq arrives. It returns the message's epoch.
func (s *Store) sequence(ctx context.Context, tx *sql.Tx, m *Msg) (int64, Result, error) {
	var res Result
	lock := ""
	if s.pg {
		lock = " FOR UPDATE"
	}
	var epoch, maxSeq, maxTS, hasSeq1 int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT epoch, max_seq, max_seq_ts, has_seq1 FROM cameras
		WHERE site = ? AND agent = ? AND camera = ?`+lock), m.Site, m.Agent, m.Camera).Scan(&epoch, &maxSeq, &maxTS, &hasSeq1); err != nil {
		return 0, res, err
	}
	seq, ts := int64(m.Seq), ms(m.TS)
	key := []any{m.Site, m.Agent, m.Camera}
	// seq 1 again, while this epoch already had a 1 or the new 1 is newer
	// than everything seen: the agent started over with an empty spool. A
	// late seq 1 (older than what came after it) only fills a gap.
	if seq == 1 && maxSeq > 0 && (hasSeq1 == 1 || ts > maxTS) {
		epoch++
		maxSeq, maxTS, hasSeq1 = 0, 0, 0
		res.LostSpool = true
		if _, err := s.exec(ctx, tx, `DELETE FROM gaps WHERE site = ? AND agent = ? AND camera = ?`, key...); err != nil {
			return 0, res, err
		}
		if _, err := s.exec(ctx, tx, `UPDATE cameras SET epoch = ?, restarts = restarts + 1 WHERE site = ? AND agent = ? AND camera = ?`,
			append([]any{epoch}, key...)...); err != nil {
			return 0, res, err
		}
	}
	switch {
	case maxSeq > 0 && seq > maxSeq+1:
		res.GapOpened = uint64(seq - maxSeq - 1)
		if _, err := s.exec(ctx, tx, `INSERT INTO gaps (site, agent, camera, from_seq, to_seq, opened) VALUES (?, ?, ?, ?, ?, ?)`,
			append(key, maxSeq+1, seq-1, ms(m.Recv))...); err != nil {
			return 0, res, err
		}
	case seq < maxSeq:
		var from, to, opened int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT from_seq, to_seq, opened FROM gaps
			WHERE site = ? AND agent = ? AND camera = ? AND from_seq <= ? AND to_seq >= ?`), append(key, seq, seq)...).Scan(&from, &to, &opened)
		if err == sql.ErrNoRows {
			break // a seq seen before under another id; nothing was missing
		}
		if err != nil {
			return 0, res, err
		}
		res.GapClosed = true
		if _, err := s.exec(ctx, tx, `DELETE FROM gaps WHERE site = ? AND agent = ? AND camera = ? AND from_seq = ?`, append(key, from)...); err != nil {
			return 0, res, err
		}
		for _, r := range [][2]int64{{from, seq - 1}, {seq + 1, to}} {
			if r[0] > r[1] {
				continue
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO gaps (site, agent, camera, from_seq, to_seq, opened) VALUES (?, ?, ?, ?, ?, ?)`,
				append(key, r[0], r[1], opened)...); err != nil {
				return 0, res, err
			}
		}
	}
	if seq > maxSeq {
		maxSeq, maxTS = seq, ts
	}
	if seq == 1 {
		hasSeq1 = 1
	}
	_, err := s.exec(ctx, tx, `UPDATE cameras SET received = received + 1, max_seq = ?, max_seq_ts = ?, has_seq1 = ?
		WHERE site = ? AND agent = ? AND camera = ?`, append([]any{maxSeq, maxTS, hasSeq1}, key...)...)
	return epoch, res, err
}

// eventFields are the columns events are searched by.
type eventFields struct {
	Type  string `json:"type"`
	Rule  string `json:"rule"`
	Class string `json:"class"`
	Kind  string `json:"kind"`
	State string `json:"state"`
}

// content stores what the message says, by schema.
func (s *Store) content(ctx context.Context, tx *sql.Tx, m *Msg) error {
	ts := ms(m.TS)
	switch m.Schema {
	case event.SchemaCounts:
		return s.counts(ctx, tx, m)
	case event.SchemaCameraStatus:
		var st struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal(m.Payload, &st) // validated against the schema already
		_, err := s.exec(ctx, tx, `UPDATE cameras SET state = ?, status = ?, status_ts = ? WHERE site = ? AND agent = ? AND camera = ? AND status_ts <= ?`,
			st.State, string(m.Payload), ts, m.Site, m.Agent, m.Camera, ts)
		return err
	case event.SchemaAgentStatus:
		var st struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal(m.Payload, &st) // validated already
		_, err := s.exec(ctx, tx, `UPDATE agents SET state = ?, status = ?, status_ts = ? WHERE site = ? AND agent = ? AND status_ts <= ?`,
			st.State, string(m.Payload), ts, m.Site, m.Agent, ts)
		return err
	case event.SchemaOccupancy:
		_, err := s.exec(ctx, tx, `INSERT INTO occupancy (site, agent, camera, ts, payload) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (site, agent, camera) DO UPDATE SET ts = excluded.ts, payload = excluded.payload WHERE occupancy.ts <= excluded.ts`,
			m.Site, m.Agent, m.Camera, ts, string(m.Payload))
		return err
	case event.SchemaCommandResult:
		return nil // the receipt is all the hub keeps of it
	}
	var f eventFields
	_ = json.Unmarshal(m.Payload, &f) // validated already
	_, err := s.exec(ctx, tx, `INSERT INTO events (id, site, agent, camera, type, rule, class, kind, state, seq, ts, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Site, m.Agent, m.Camera, f.Type, f.Rule, f.Class, f.Kind, f.State, int64(m.Seq), ts, string(m.Payload))
	return err
}
