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

// Row kinds: a line's crossings (in, out) and a zone's (entries, exits).
const (
	KindLine = "line"
	KindZone = "zone"
)

// countRow is one rule × class of one counts interval.
type countRow struct {
	rule, kind, class string
	in, out           int64
}

// rowsOf flattens a counts payload into one row per rule and class.
func rowsOf(c *event.Counts) []countRow {
	var rows []countRow
	add := func(rule, kind string, in, out map[string]int) {
		classes := map[string]bool{}
		for k := range in {
			classes[k] = true
		}
		for k := range out {
			classes[k] = true
		}
		names := make([]string, 0, len(classes))
		for k := range classes {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, cl := range names {
			rows = append(rows, countRow{rule, kind, cl, int64(in[cl]), int64(out[cl])})
		}
	}
	for _, l := range c.Lines {
		add(l.Rule, KindLine, l.In, l.Out)
	}
	for _, z := range c.Zones {
		add(z.Rule, KindZone, z.Entries, z.Exits)
	}
	return rows
}

// counts stores one counts interval and adds it to the hourly and daily
// roll-ups (keyed by the interval's start), in the caller's transaction,
// so a duplicate never reaches a roll-up.
func (s *Store) counts(ctx context.Context, tx *sql.Tx, m *Msg) error {
	var c event.Counts
	if err := json.Unmarshal(m.Payload, &c); err != nil {
		return fmt.Errorf("counts: %w", err)
	}
	start, err := time.Parse(time.RFC3339Nano, c.Start)
	if err != nil {
		return fmt.Errorf("counts: start: %w", err)
	}
	end, err := time.Parse(time.RFC3339Nano, c.End)
	if err != nil {
		return fmt.Errorf("counts: end: %w", err)
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO counts (id, site, agent, camera, start_ms, end_ms, frames, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Site, m.Agent, m.Camera, ms(start), ms(end), c.FramesAnalysed, string(m.Payload)); err != nil {
		return err
	}
	hour := ms(start.Truncate(time.Hour))
	day := start.In(s.loc).Format(time.DateOnly)
	for _, r := range rowsOf(&c) {
		key := []any{m.Site, m.Agent, m.Camera, r.rule, r.kind, r.class}
		if _, err := s.exec(ctx, tx, `INSERT INTO count_rows (site, agent, camera, rule, kind, class, start_ms, n_in, n_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(key, ms(start), r.in, r.out)...); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO count_hourly (site, agent, camera, rule, kind, class, hour_ms, n_in, n_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, agent, camera, rule, kind, class, hour_ms) DO UPDATE SET n_in = count_hourly.n_in + excluded.n_in, n_out = count_hourly.n_out + excluded.n_out`,
			append(key, hour, r.in, r.out)...); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO count_daily (site, agent, camera, rule, kind, class, day, n_in, n_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, agent, camera, rule, kind, class, day) DO UPDATE SET n_in = count_daily.n_in + excluded.n_in, n_out = count_daily.n_out + excluded.n_out`,
			append(key, day, r.in, r.out)...); err != nil {
			return err
		}
	}
	return nil
}
