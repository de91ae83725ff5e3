package store

import (
	"context"
	"encoding/json"
	"time"
)

// Camera is one camera's state and completeness, as /api/v1/cameras shows
// it.
type Camera struct {
	Site   string `json:"site"`
	Agent  string `json:"agent"`
	Camera string `json:"camera"`
	// State is the last camera status's state ("" before the first).
	State string `json:"state"`
	// Received counts the unique messages with a seq; Duplicates the
	// messages dropped because their id was already stored.
	Received   int64 `json:"received"`
	Duplicates int64 `json:"duplicates"`
	// Missing lists the seq ranges [from, to] (inclusive) still missing in
	// the current epoch, sorted.
	Missing [][2]int64 `json:"missing"`
	// MissingSince is when the oldest open range was first seen (zero
	// when nothing is missing).
	MissingSince time.Time `json:"-"`
	// LostSpool counts the times seq started again at 1 (the agent lost
	// its spool); Epoch numbers the current run of seqs from 1.
	LostSpool int64 `json:"lost_spool"`
	Epoch     int64 `json:"epoch"`
	// LastSeq is the highest seq of the current epoch.
	LastSeq  int64     `json:"last_seq"`
	LastSeen time.Time `json:"last_seen"`
	// StatusTS is the ts of the last camera status.
	StatusTS time.Time `json:"-"`
	// Status is the last camera status payload, as sent.
	Status json.RawMessage `json:"status,omitempty"`
}

// Cameras lists every camera that sent anything, sorted by site, agent,
// camera.
func (s *Store) Cameras(ctx context.Context) ([]Camera, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT site, agent, camera, state, received, duplicates, restarts, epoch, max_seq, last_seen, status_ts, status
		FROM cameras ORDER BY site, agent, camera`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Camera
	idx := map[[3]string]int{}
	for rows.Next() {
		var c Camera
		var seen, sts int64
		var status string
		if err := rows.Scan(&c.Site, &c.Agent, &c.Camera, &c.State, &c.Received, &c.Duplicates, &c.LostSpool, &c.Epoch, &c.LastSeq, &seen, &sts, &status); err != nil {
			return nil, err
		}
		if seen > 0 {
			c.LastSeen = fromMS(seen)
		}
		if sts > 0 {
			c.StatusTS = fromMS(sts)
		}
		if status != "" {
			c.Status = json.RawMessage(status)
		}
		c.Missing = [][2]int64{}
		idx[[3]string{c.Site, c.Agent, c.Camera}] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	gaps, err := s.db.QueryContext(ctx, `SELECT site, agent, camera, from_seq, to_seq, opened FROM gaps ORDER BY site, agent, camera, from_seq`)
	if err != nil {
		return nil, err
	}
	defer gaps.Close()
	for gaps.Next() {
		var k [3]string
		var from, to, opened int64
		if err := gaps.Scan(&k[0], &k[1], &k[2], &from, &to, &opened); err != nil {
			return nil, err
		}
		if i, ok := idx[k]; ok {
			c := &out[i]
			c.Missing = append(c.Missing, [2]int64{from, to})
			if t := fromMS(opened); c.MissingSince.IsZero() || t.Before(c.MissingSince) {
				c.MissingSince = t
			}
		}
	}
	return out, gaps.Err()
}

// Agent is one agent's last status.
type Agent struct {
	// StatusTS is the ts of the last status.
	StatusTS time.Time       `json:"-"`
	Site     string          `json:"site"`
	Agent    string          `json:"agent"`
	State    string          `json:"state"`
	LastSeen time.Time       `json:"last_seen"`
	Status   json.RawMessage `json:"status,omitempty"`
}

// Agents lists every agent that sent anything, sorted by site and agent.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT site, agent, state, last_seen, status_ts, status FROM agents ORDER BY site, agent`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Agent
	for rows.Next() {
		var a Agent
		var seen, sts int64
		var status string
		if err := rows.Scan(&a.Site, &a.Agent, &a.State, &seen, &sts, &status); err != nil {
			return nil, err
		}
		if sts > 0 {
			a.StatusTS = fromMS(sts)
		}
		if seen > 0 {
			a.LastSeen = fromMS(seen)
		}
		if status != "" {
			a.Status = json.RawMessage(status)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// EventQuery selects events; zero fields do not filter.
type EventQuery struct {
	Site, Camera, Type string
	From, To           time.Time
	// Limit bounds the answer. It defaults to 100, at most 10000.
	Limit int
}

// Events returns the payloads of the newest events matching q, newest
// first.
func (s *Store) Events(ctx context.Context, q EventQuery) ([]json.RawMessage, error) {
	where, args := "1 = 1", []any{}
	for _, f := range []struct{ col, v string }{{"site", q.Site}, {"camera", q.Camera}, {"type", q.Type}} {
		if f.v != "" {
			where += " AND " + f.col + " = ?"
			args = append(args, f.v)
		}
	}
	if !q.From.IsZero() {
		where += " AND ts >= ?"
		args = append(args, ms(q.From))
	}
	if !q.To.IsZero() {
		where += " AND ts < ?"
		args = append(args, ms(q.To))
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 10000)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT payload FROM events WHERE `+where+` ORDER BY ts DESC, id LIMIT ?`), append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []json.RawMessage{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage(p))
	}
	return out, rows.Err()
}

// Tamper is a tamper condition raised and not cleared since.
type Tamper struct {
	Site, Agent, Camera, Kind string
	Since                     time.Time
}

// OpenTamper lists the tamper conditions whose last event raised them.
func (s *Store) OpenTamper(ctx context.Context) ([]Tamper, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.site, e.agent, e.camera, e.kind, e.ts FROM events e
		WHERE e.type = 'tamper' AND e.state = 'raised' AND e.ts = (SELECT MAX(x.ts) FROM events x
			WHERE x.type = 'tamper' AND x.site = e.site AND x.agent = e.agent AND x.camera = e.camera AND x.kind = e.kind)
		ORDER BY e.site, e.agent, e.camera, e.kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tamper
	for rows.Next() {
		var t Tamper
		var ts int64
		if err := rows.Scan(&t.Site, &t.Agent, &t.Camera, &t.Kind, &ts); err != nil {
			return nil, err
		}
		t.Since = fromMS(ts)
		out = append(out, t)
	}
	return out, rows.Err()
}
