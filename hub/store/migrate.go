package store

import (
	"context"
	"fmt"
	"strings"
)

// migrations are applied in order, each once, in its own transaction;
// schema_version holds the number applied. Never edit a shipped one: add
// the next. BIGINT and TEXT mean the same in SQLite and PostgreSQL here.
var migrations = []string{
	// 1: receipts, cameras, agents, events, counts and their roll-ups.
	`CREATE TABLE received (
		id TEXT PRIMARY KEY,
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		epoch BIGINT NOT NULL, seq BIGINT,
		schema_name TEXT NOT NULL, ts BIGINT NOT NULL, recv BIGINT NOT NULL);
	CREATE INDEX received_seq ON received (site, agent, camera, epoch, seq);
	CREATE INDEX received_recv ON received (recv);
	CREATE TABLE cameras (
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		epoch BIGINT NOT NULL DEFAULT 1, restarts BIGINT NOT NULL DEFAULT 0,
		received BIGINT NOT NULL DEFAULT 0, duplicates BIGINT NOT NULL DEFAULT 0,
		max_seq BIGINT NOT NULL DEFAULT 0, max_seq_ts BIGINT NOT NULL DEFAULT 0,
		has_seq1 BIGINT NOT NULL DEFAULT 0,
		state TEXT NOT NULL DEFAULT '', status_ts BIGINT NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT '',
		last_seen BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (site, agent, camera));
	CREATE TABLE gaps (
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		from_seq BIGINT NOT NULL, to_seq BIGINT NOT NULL, opened BIGINT NOT NULL,
		PRIMARY KEY (site, agent, camera, from_seq));
	CREATE TABLE agents (
		site TEXT NOT NULL, agent TEXT NOT NULL,
		state TEXT NOT NULL DEFAULT '', status_ts BIGINT NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT '',
		last_seen BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (site, agent));
	CREATE TABLE events (
		id TEXT PRIMARY KEY,
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		type TEXT NOT NULL, rule TEXT NOT NULL, class TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
		seq BIGINT NOT NULL, ts BIGINT NOT NULL, payload TEXT NOT NULL);
	CREATE INDEX events_ts ON events (ts);
	CREATE INDEX events_cam ON events (site, camera, ts);
	CREATE TABLE counts (
		id TEXT PRIMARY KEY,
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, frames BIGINT NOT NULL,
		payload TEXT NOT NULL);
	CREATE INDEX counts_start ON counts (start_ms);
	CREATE TABLE count_rows (
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		rule TEXT NOT NULL, kind TEXT NOT NULL, class TEXT NOT NULL,
		start_ms BIGINT NOT NULL, n_in BIGINT NOT NULL, n_out BIGINT NOT NULL);
	CREATE INDEX count_rows_start ON count_rows (site, start_ms);
	CREATE TABLE count_hourly (
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		rule TEXT NOT NULL, kind TEXT NOT NULL, class TEXT NOT NULL,
		hour_ms BIGINT NOT NULL, n_in BIGINT NOT NULL, n_out BIGINT NOT NULL,
		PRIMARY KEY (site, agent, camera, rule, kind, class, hour_ms));
	CREATE INDEX count_hourly_hour ON count_hourly (hour_ms);
	CREATE TABLE count_daily (
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		rule TEXT NOT NULL, kind TEXT NOT NULL, class TEXT NOT NULL,
		day TEXT NOT NULL, n_in BIGINT NOT NULL, n_out BIGINT NOT NULL,
		PRIMARY KEY (site, agent, camera, rule, kind, class, day));
	CREATE TABLE occupancy (
		site TEXT NOT NULL, agent TEXT NOT NULL, camera TEXT NOT NULL,
		ts BIGINT NOT NULL, payload TEXT NOT NULL,
		PRIMARY KEY (site, agent, camera))`,
}

// Version is the schema version this build migrates to.
func Version() int { return len(migrations) }

func (s *Store) migrate(ctx context.Context) error {
	if s.pg {
		// Replicas starting together must not migrate twice.
		if _, err := s.db.ExecContext(ctx, `SELECT pg_advisory_lock(74201)`); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer s.db.ExecContext(context.Background(), `SELECT pg_advisory_unlock(74201)`) //nolint:errcheck // released with the session anyway
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("store: database schema version %d is newer than this hub's %d; upgrade the hub", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		for _, stmt := range strings.Split(migrations[i], ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback() //nolint:errcheck // the Exec error is the one to report
				return fmt.Errorf("store: migration %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_version (version) VALUES (?)`), i+1); err != nil {
			tx.Rollback() //nolint:errcheck // as above
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	return nil
}
