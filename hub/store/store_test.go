package store

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/agent/event"
	"github.com/pantau/pantau/hub/internal/fixture"
	"github.com/pantau/pantau/hub/internal/pgtest"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// msg wires m as the agent's publisher would and turns it into what the
// hub's checker hands the store.
func msg(m event.Message, id string, seq uint64, recv time.Time) Msg {
	_, b := fixture.Wire(m, id, seq)
	h := m.Body.Head()
	ts, err := time.Parse(time.RFC3339Nano, h.TS)
	if err != nil {
		panic(err)
	}
	return Msg{ID: h.ID, Schema: h.Schema, Site: h.Site, Agent: h.Agent, Camera: h.Camera, Seq: h.Seq, TS: ts, Recv: recv, Payload: b}
}

func counts(id string, seq uint64, personIn int, end time.Time) Msg {
	return msg(fixture.Counts("s1", "a1", "c1", end, 10*time.Second, personIn, 1, 1), id, seq, end.Add(300*time.Millisecond))
}

func stores(t *testing.T) map[string]func(t *testing.T) *Store {
	return map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "hub.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) *Store {
			s, err := Open(context.Background(), pgtest.Start(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// TestCompleteness injects duplicates, gaps, late messages and a lost
// spool, step by step, and checks the exact bookkeeping after each, in
// SQLite and in a real PostgreSQL.
func TestCompleteness(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			at := func(seq int) time.Time { return t0.Add(time.Duration(seq) * 10 * time.Second) }
			steps := []struct {
				name    string
				m       Msg
				want    Result
				missing [][2]int64
				recv    int64
				dups    int64
			}{
				{"first", counts("A1", 1, 2, at(1)), Result{}, nil, 1, 0},
				{"next", counts("A2", 2, 3, at(2)), Result{}, nil, 2, 0},
				{"replayed", counts("A2", 2, 3, at(2)), Result{Duplicate: true}, nil, 2, 1},
				{"jump", counts("A5", 5, 1, at(5)), Result{GapOpened: 2}, [][2]int64{{3, 4}}, 3, 1},
				{"in order", counts("A6", 6, 4, at(6)), Result{}, [][2]int64{{3, 4}}, 4, 1},
				{"late 3", counts("A3", 3, 5, at(3)), Result{GapClosed: true}, [][2]int64{{4, 4}}, 5, 1},
				{"event jumps", msg(fixture.LineCross("s1", "a1", "c1", at(8), "in", "person", 7), "A8", 8, at(8)), Result{GapOpened: 1}, [][2]int64{{4, 4}, {7, 7}}, 6, 1},
				{"late 4", counts("A4", 4, 6, at(4)), Result{GapClosed: true}, [][2]int64{{7, 7}}, 7, 1},
				{"replayed late", counts("A5", 5, 1, at(5)), Result{Duplicate: true}, [][2]int64{{7, 7}}, 7, 2},
				{"tamper", msg(fixture.Tamper("s1", "a1", "c1", at(9), "covered", "raised"), "A9", 9, at(9)), Result{}, [][2]int64{{7, 7}}, 8, 2},
				{"status", msg(fixture.CameraStatus("s1", "a1", "c1", at(9), "online"), "", 0, at(9)), Result{}, [][2]int64{{7, 7}}, 8, 2},
				{"lost spool", counts("B1", 1, 7, at(60)), Result{LostSpool: true}, nil, 9, 2},
				{"after restart", counts("B3", 3, 8, at(62)), Result{GapOpened: 1}, [][2]int64{{2, 2}}, 10, 2},
			}
			for _, st := range steps {
				res, err := s.Apply(ctx, []Msg{st.m})
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				if res[0] != st.want {
					t.Errorf("%s: result %+v, want %+v", st.name, res[0], st.want)
				}
				cams, err := s.Cameras(ctx)
				if err != nil || len(cams) != 1 {
					t.Fatalf("%s: cameras %v, %v", st.name, cams, err)
				}
				c := cams[0]
				if st.missing == nil {
					st.missing = [][2]int64{}
				}
				if !reflect.DeepEqual(c.Missing, st.missing) || c.Received != st.recv || c.Duplicates != st.dups {
					t.Errorf("%s: missing %v received %d duplicates %d, want %v %d %d", st.name, c.Missing, c.Received, c.Duplicates, st.missing, st.recv, st.dups)
				}
			}
			cams, _ := s.Cameras(ctx)
			if c := cams[0]; c.LostSpool != 1 || c.Epoch != 2 || c.State != "online" || c.LastSeq != 3 {
				t.Errorf("camera %+v: want lost_spool 1, epoch 2, online, last seq 3", c)
			}
			// Person crossings in: 2+3+1+4+5+6+7+8 (the two replays not added).
			tot, err := s.Totals(ctx, t0, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			want := []Total{
				{"s1", "gate", KindLine, "car", 8, 0},
				{"s1", "gate", KindLine, "person", 36, 8},
				{"s1", "yard", KindZone, "person", 36, 0},
			}
			if !reflect.DeepEqual(tot, want) {
				t.Errorf("totals %+v, want %+v", tot, want)
			}
			for _, step := range []time.Duration{time.Hour, 24 * time.Hour} {
				ser, err := s.Counts(ctx, SeriesQuery{Site: "s1", Rule: "gate", From: t0, To: t0.Add(24 * time.Hour), Step: step})
				if err != nil {
					t.Fatal(err)
				}
				// Daily points start at the day's midnight (UTC here).
				wantT := t0
				if step == 24*time.Hour {
					wantT = t0.Truncate(24 * time.Hour)
				}
				if len(ser) != 2 || ser[1].Class != "person" || len(ser[1].Points) != 1 || ser[1].Points[0].In != 36 || !ser[1].Points[0].T.Equal(wantT) {
					t.Errorf("step %s: series %+v", step, ser)
				}
			}
			raw, err := s.Counts(ctx, SeriesQuery{Camera: "c1", Rule: "gate", From: t0, To: t0.Add(time.Minute), Step: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			// Seq n's interval starts at (n−1)×10 s: buckets of 20 s hold seqs
			// 1+2, 3+4, 5+6.
			wantPts := []Point{{t0, 2 + 3, 2}, {t0.Add(20 * time.Second), 5 + 6, 2}, {t0.Add(40 * time.Second), 1 + 4, 2}}
			if len(raw) != 2 || !reflect.DeepEqual(raw[1].Points, wantPts) {
				t.Errorf("raw series %+v, want person points %+v", raw, wantPts)
			}
			tam, err := s.OpenTamper(ctx)
			if err != nil || len(tam) != 1 || tam[0].Kind != "covered" {
				t.Errorf("open tamper %+v, %v", tam, err)
			}
			evs, err := s.Events(ctx, EventQuery{Site: "s1", Type: "line_cross"})
			if err != nil || len(evs) != 1 {
				t.Errorf("events %s, %v", evs, err)
			}
			n, err := s.Prune(ctx, t0.Add(3*time.Hour), Retention{Events: time.Hour, Counts: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			// 2 events + 8 counts + 8×3 count rows; the hourly roll-up stays.
			if n != 2+8+24 {
				t.Errorf("pruned %d rows, want 34", n)
			}
			if tot2, _ := s.Totals(ctx, t0, t0.Add(time.Hour)); !reflect.DeepEqual(tot2, want) {
				t.Errorf("totals after prune %+v", tot2)
			}
		})
	}
}

// TestReplicas has two stores on one PostgreSQL apply the same messages at
// once, as two hub replicas would if the broker sent a message to both:
// each message is stored once, the other counted as a duplicate.
func TestReplicas(t *testing.T) {
	url := pgtest.Start(t)
	ctx := context.Background()
	var ss []*Store
	for range 2 {
		s, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ss = append(ss, s)
	}
	var batch []Msg
	for i := 1; i <= 200; i++ {
		batch = append(batch, counts(event.NewID(), uint64(i), 1, t0.Add(time.Duration(i)*10*time.Second)))
	}
	var wg sync.WaitGroup
	dups := make([]int, 2)
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(batch); i += 20 {
				for {
					res, err := ss[r].Apply(ctx, batch[i:i+20])
					if err != nil {
						t.Logf("replica %d: %v (retrying, as the hub does)", r, err)
						continue
					}
					for _, x := range res {
						if x.Duplicate {
							dups[r]++
						}
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	cams, err := ss[0].Cameras(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cams) != 1 || cams[0].Received != 200 || cams[0].Duplicates != 200 || len(cams[0].Missing) != 0 || dups[0]+dups[1] != 200 {
		t.Errorf("cameras %+v, duplicates seen %v: want 200 received, 200 duplicates, nothing missing", cams, dups)
	}
	tot, _ := ss[1].Totals(ctx, t0, t0.Add(2*time.Hour))
	var in int64
	for _, x := range tot {
		if x.Rule == "gate" && x.Class == "person" {
			in += x.In
		}
	}
	if in != 200 {
		t.Errorf("person in = %d, want 200 (each interval once)", in)
	}
}
