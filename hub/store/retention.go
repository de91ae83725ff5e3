package store

import (
	"context"
	"fmt"
	"time"
)

// Retention says how long each kind of data is kept; 0 keeps it for ever.
type Retention struct {
	Events, Counts, Hourly, Daily, Seq time.Duration
}

// Prune deletes what Retention no longer keeps, as of now, and returns how
// many rows went.
func (s *Store) Prune(ctx context.Context, now time.Time, r Retention) (int64, error) {
	type del struct {
		keep  time.Duration
		query string
		arg   func(time.Time) any
	}
	msArg := func(t time.Time) any { return ms(t) }
	dayArg := func(t time.Time) any { return t.In(s.loc).Format(time.DateOnly) }
	var total int64
	for _, d := range []del{
		{r.Events, `DELETE FROM events WHERE ts < ?`, msArg},
		{r.Counts, `DELETE FROM counts WHERE start_ms < ?`, msArg},
		{r.Counts, `DELETE FROM count_rows WHERE start_ms < ?`, msArg},
		{r.Hourly, `DELETE FROM count_hourly WHERE hour_ms < ?`, msArg},
		{r.Daily, `DELETE FROM count_daily WHERE day < ?`, dayArg},
		{r.Seq, `DELETE FROM received WHERE recv < ?`, msArg},
	} {
		if d.keep <= 0 {
			continue
		}
		res, err := s.db.ExecContext(ctx, s.q(d.query), d.arg(now.Add(-d.keep)))
		if err != nil {
			return total, fmt.Errorf("store: prune: %w", err)
		}
		n, _ := res.RowsAffected() // both drivers report it
		total += n
	}
	return total, nil
}
