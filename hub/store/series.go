package store

import (
	"context"
	"fmt"
	"time"
)

// SeriesQuery selects counts; empty strings do not filter.
type SeriesQuery struct {
	Site, Camera, Rule string
	// From and To bound the interval starts, [From, To).
	From, To time.Time
	// Step is the bucket width: under an hour reads the raw intervals,
	// whole hours the hourly roll-up, whole days the daily one (days of the
	// store's time zone).
	Step time.Duration
}

// Series is the counts of one camera, rule and class over time. For lines
// In and Out are crossings; for zones they are entries and exits.
type Series struct {
	Site   string  `json:"site"`
	Camera string  `json:"camera"`
	Rule   string  `json:"rule"`
	Kind   string  `json:"kind"`
	Class  string  `json:"class"`
	Points []Point `json:"points"`
}

// Point is one bucket of a Series, starting at T.
type Point struct {
	T   time.Time `json:"t"`
	In  int64     `json:"in"`
	Out int64     `json:"out"`
}

// Counts returns one Series per camera, rule, kind and class with counts in
// q's range, each with a point for every bucket that has any, in time
// order.
func (s *Store) Counts(ctx context.Context, q SeriesQuery) ([]Series, error) {
	if q.Step <= 0 || !q.To.After(q.From) {
		return nil, fmt.Errorf("want step > 0 and to after from")
	}
	if q.To.Sub(q.From)/q.Step > 100000 {
		return nil, fmt.Errorf("too many buckets: use a larger step")
	}
	where, args := "", []any{}
	for _, f := range []struct{ col, v string }{{"site", q.Site}, {"camera", q.Camera}, {"rule", q.Rule}} {
		if f.v != "" {
			where += " AND " + f.col + " = ?"
			args = append(args, f.v)
		}
	}
	var query string
	var qargs []any
	daily := q.Step%(24*time.Hour) == 0
	switch {
	case daily:
		query = `SELECT site, camera, rule, kind, class, day, SUM(n_in), SUM(n_out) FROM count_daily
			WHERE day >= ? AND day <= ?` + where + ` GROUP BY site, camera, rule, kind, class, day ORDER BY site, camera, rule, kind, class, day`
		qargs = append([]any{q.From.In(s.loc).Format(time.DateOnly), q.To.Add(-time.Millisecond).In(s.loc).Format(time.DateOnly)}, args...)
	case q.Step%time.Hour == 0:
		query = `SELECT site, camera, rule, kind, class, hour_ms, SUM(n_in), SUM(n_out) FROM count_hourly
			WHERE hour_ms >= ? AND hour_ms < ?` + where + ` GROUP BY site, camera, rule, kind, class, hour_ms ORDER BY site, camera, rule, kind, class, hour_ms`
		qargs = append([]any{ms(q.From), ms(q.To)}, args...)
	default:
		query = `SELECT site, camera, rule, kind, class, start_ms, SUM(n_in), SUM(n_out) FROM count_rows
			WHERE start_ms >= ? AND start_ms < ?` + where + ` GROUP BY site, camera, rule, kind, class, start_ms ORDER BY site, camera, rule, kind, class, start_ms`
		qargs = append([]any{ms(q.From), ms(q.To)}, args...)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), qargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Series{}
	for rows.Next() {
		var r Series
		var key string
		var keyMS, in, out2 int64
		dest := []any{&r.Site, &r.Camera, &r.Rule, &r.Kind, &r.Class, &keyMS, &in, &out2}
		if daily {
			dest[5] = &key
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		t := fromMS(keyMS)
		if daily {
			d, err := time.ParseInLocation(time.DateOnly, key, s.loc)
			if err != nil {
				return nil, err
			}
			t = d
		}
		bucket := q.From.Add(t.Sub(q.From) / q.Step * q.Step)
		if daily && t.Before(q.From) {
			bucket = t // the day that holds From starts before it
		}
		n := len(out)
		if n == 0 || out[n-1].Site != r.Site || out[n-1].Camera != r.Camera || out[n-1].Rule != r.Rule || out[n-1].Kind != r.Kind || out[n-1].Class != r.Class {
			r.Points = []Point{}
			out = append(out, r)
			n++
		}
		ps := &out[n-1].Points
		if k := len(*ps); k > 0 && (*ps)[k-1].T.Equal(bucket) {
			(*ps)[k-1].In += in
			(*ps)[k-1].Out += out2
		} else {
			*ps = append(*ps, Point{T: bucket.UTC(), In: in, Out: out2})
		}
	}
	return out, rows.Err()
}

// Total is a sum of counts of one site, rule, kind and class.
type Total struct {
	Site, Rule, Kind, Class string
	In, Out                 int64
}

// Totals sums the hourly roll-up over [from, to) per site, rule, kind and
// class (from and to are rounded down to whole hours).
func (s *Store) Totals(ctx context.Context, from, to time.Time) ([]Total, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT site, rule, kind, class, SUM(n_in), SUM(n_out) FROM count_hourly
		WHERE hour_ms >= ? AND hour_ms < ? GROUP BY site, rule, kind, class ORDER BY site, rule, kind, class`),
		ms(from.Truncate(time.Hour)), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Total
	for rows.Next() {
		var t Total
		if err := rows.Scan(&t.Site, &t.Rule, &t.Kind, &t.Class, &t.In, &t.Out); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
