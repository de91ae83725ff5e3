// Package store keeps what the hub receives in SQL: SQLite (embedded, one
// file in WAL mode) or PostgreSQL (several hub replicas sharing one
// database). Both run the same statements; the few differences live in
// dialect.
//
// Every message is stored once: its id is the primary key of table
// received, and a message whose id is already there is a duplicate. Per
// camera the store keeps the seq bookkeeping (received, duplicates, open
// gaps, spool restarts) in the same transaction as the message, so
// replicas that split one subscription agree on it. Times are integers
// (Unix milliseconds) in both databases.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	_ "modernc.org/sqlite"             // registers driver "sqlite"
)

// Store is an open database. Safe for concurrent use.
type Store struct {
	db  *sql.DB
	pg  bool
	loc *time.Location
}

// Options configure Open.
type Options struct {
	// Password for PostgreSQL, when not in the environment (PGPASSWORD).
	Password string
	// Location whose calendar days key the daily roll-up. It defaults to
	// UTC.
	Location *time.Location
}

// Open connects to the database named by rawURL ("sqlite:PATH", a bare
// path, or "postgres://…") and applies the migrations it has not seen.
// The caller closes the Store.
func Open(ctx context.Context, rawURL string, o Options) (*Store, error) {
	s := &Store{loc: o.Location}
	if s.loc == nil {
		s.loc = time.UTC
	}
	var err error
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		s.pg = true
		dsn := rawURL
		if o.Password != "" {
			u, perr := url.Parse(rawURL)
			if perr != nil {
				return nil, fmt.Errorf("store.url: %w", perr)
			}
			u.User = url.UserPassword(u.User.Username(), o.Password)
			dsn = u.String()
		}
		s.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		s.db.SetMaxOpenConns(8)
	} else {
		path := strings.TrimPrefix(rawURL, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		// One connection: SQLite has one writer anyway, and it makes every
		// pragma apply to the connection that runs the statements.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
		s.db, err = sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		s.db.SetMaxOpenConns(1)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: connect: %w", redact(err))
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Postgres reports whether the store is PostgreSQL.
func (s *Store) Postgres() bool { return s.pg }

// DB gives tests and tools read access to the database.
func (s *Store) DB() *sql.DB { return s.db }

// q rewrites SQLite's ? placeholders as PostgreSQL's $1, $2 …
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// redact keeps a password that the driver echoed out of an error.
func redact(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "password="); i >= 0 {
		return errors.New(msg[:i] + "password=xxxxx")
	}
	return err
}

// ms converts t to Unix milliseconds, the stored form of every time.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts stored milliseconds back to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
