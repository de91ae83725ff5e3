package fleetsim

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/hub/store"
)

// verify reads the hub's database after the run and fills the report:
// what was lost, stored twice (counted twice in the roll-up), the lag.
func verify(ctx context.Context, cfg Config, dbURL string, rec *sent, r *Report) error {
	st, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	db := st.DB()
	rows, err := db.QueryContext(ctx, `SELECT id, recv - ts, ts FROM received WHERE seq IS NOT NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	stored := map[string]bool{}
	var lags, steady []float64
	for rows.Next() {
		var id string
		var lag, ts int64
		if err := rows.Scan(&id, &lag, &ts); err != nil {
			return err
		}
		stored[id] = true
		l := float64(lag) / 1000
		lags = append(lags, l)
		if !nearFault(time.UnixMilli(ts), r.Faults, cfg.Outage) {
			steady = append(steady, l)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for id := range rec.ids {
		if !stored[id] {
			r.Lost++
		}
	}
	for id := range stored {
		if !rec.ids[id] {
			r.Unexpected++
		}
	}
	r.Stored = int64(len(stored))
	var counts, events int64
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM counts`).Scan(&counts)                                   //nolint:errcheck // 0 shows as a failure below
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&events)                                   //nolint:errcheck // as above
	db.QueryRowContext(ctx, `SELECT COALESCE(SUM(duplicates), 0) FROM cameras`).Scan(&r.DuplicatesDropped) //nolint:errcheck // as above
	r.CountsSent, r.EventsSent, r.CountsStored, r.EventsStored = int64(rec.counts), int64(rec.events), counts, events
	// A message stored twice would add to the roll-up twice: compare each
	// site's person crossings with what its agent sent.
	tot, err := st.Totals(ctx, time.Now().Add(-48*time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		return err
	}
	got := map[string]int64{}
	for _, t := range tot {
		if t.Rule == "gate" && t.Kind == store.KindLine && t.Class == "person" {
			got[t.Site] += t.In
		}
	}
	for site, want := range rec.personIn {
		if got[site] > want {
			r.StoredTwice += got[site] - want
		}
		if got[site] != want {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: person in %d in the roll-up, %d sent", site, got[site], want))
		}
	}
	r.LagP50, r.LagP95, r.LagP99, r.LagMax = pct(lags, 50), pct(lags, 95), pct(lags, 99), pct(lags, 100)
	r.SteadyP95 = pct(steady, 95)
	base := strings.TrimPrefix(dbURL, "sqlite:")
	for _, f := range []string{base, base + "-wal", base + "-shm"} {
		if fi, err := os.Stat(f); err == nil {
			r.DBBytes += fi.Size()
		}
	}
	return nil
}

// nearFault reports whether a message made at ts was held up by a fault:
// made from one second before it began until Outage after it ended.
func nearFault(ts time.Time, faults []Fault, outage time.Duration) bool {
	for _, f := range faults {
		if ts.After(f.Start.Add(-time.Second)) && ts.Before(f.End.Add(outage)) {
			return true
		}
	}
	return false
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}
