package spool

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash campaign: a child process (this test binary, see TestMain)
// appends, acks and expires at random on a spool with small segments
// (rotation every few records, holes that get compacted), printing each
// durable append and each ack once it returned. The parent SIGKILLs it at
// a random moment, then opens the spool itself and checks that every
// record the child was told is durable and did not ack is there intact, no
// acked record came back, no index was given twice and each camera's seq
// only went up. 200 rounds always; PANTAU_LONG_TESTS=1 runs 2000. The
// rounds take turns with the three fsync policies: under interval and
// never, Append returns before its fsync, but SIGKILL leaves the kernel's
// page cache to the next process, so nothing may be lost there either (a
// power cut is another matter: docs/reliability.md).

const crashChildEnv = "PANTAU_SPOOL_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		seed, _ := strconv.ParseInt(os.Getenv(crashChildEnv+"_SEED"), 10, 64)
		crashChild(dir, seed, Fsync(os.Getenv(crashChildEnv+"_FSYNC")))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashOptions are the child's and the checker's options.
func crashOptions() Options {
	return Options{SegmentBytes: 4 << 10, MaxBytes: 8 << 20}
}

func crashPayload(cam string, seq uint64, pad int) []byte {
	return []byte(fmt.Sprintf("%s/%d/%s", cam, seq, strings.Repeat("p", pad)))
}

// crashChild runs until killed. Lines go to stdout unbuffered, one write
// each, so the parent sees all that were written before the kill.
func crashChild(dir string, seed int64, fsync Fsync) {
	rnd := rand.New(rand.NewSource(seed))
	opt := crashOptions()
	opt.Fsync = fsync
	s, err := Open(dir, opt)
	if err != nil {
		fmt.Fprintf(os.Stdout, "E %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stdout, "O\n")
	cams := []string{"cam1", "cam2", "cam3"}
	lastComp := 0
	for {
		switch x := rnd.Intn(10); {
		case x < 5:
			cam := cams[rnd.Intn(len(cams))]
			pad := rnd.Intn(300)
			r, err := s.Append(context.Background(), cam, KindEvent, "t/"+cam, false, func(seq uint64) ([]byte, error) {
				return crashPayload(cam, seq, pad), nil
			})
			if err != nil {
				fmt.Fprintf(os.Stdout, "E %v\n", err)
				os.Exit(1)
			}
			fmt.Fprintf(os.Stdout, "D %d %s %d\n", r.Index, r.Camera, r.Seq)
		case x < 9:
			// Ack one of the first few waiting records: mostly in order,
			// with holes.
			var after uint64
			var r Record
			ok := false
			for k := rnd.Intn(4); k >= 0; k-- {
				var next Record
				next, found, err := s.Next(after)
				if err != nil || !found {
					break
				}
				r, ok, after = next, true, next.Index
			}
			if ok {
				// Said before: a kill between the ack and its line must
				// not look like a lost record.
				fmt.Fprintf(os.Stdout, "P %d\n", r.Index)
				if err := s.Ack(r.Index); err != nil {
					fmt.Fprintf(os.Stdout, "E %v\n", err)
					os.Exit(1)
				}
				fmt.Fprintf(os.Stdout, "A %d\n", r.Index)
			}
		default:
			_ = s.Expire() // nothing is old enough; it runs maintenance
		}
		s.mu.Lock()
		c, segs := s.compactions, len(s.segs)
		s.mu.Unlock()
		if c != lastComp {
			lastComp = c
			fmt.Fprintf(os.Stdout, "C %d\n", segs)
		}
	}
}

type crashRecord struct {
	cam string
	seq uint64
}

func TestCrashCampaign(t *testing.T) {
	rounds := 200
	if os.Getenv("PANTAU_LONG_TESTS") == "1" {
		rounds = 2000
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(time.Now().UnixNano()))
	var (
		waiting   = map[uint64]crashRecord{} // durable, not acked
		acked     = map[uint64]bool{}
		seen      = map[uint64]bool{} // every index ever told durable
		maxSeq    = map[string]uint64{}
		appends   int
		acks      int
		compacts  int
		killsOpen int
	)
	policies := []Fsync{FsyncAlways, FsyncInterval, FsyncNever}
	// Every round runs in this boot: the spool clock, carried across kills
	// by state.json, must never go back nor run ahead of the real time.
	start := time.Now()
	for round := 0; round < rounds; round++ {
		seed := rnd.Int63()
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashChildEnv+"_SEED="+strconv.FormatInt(seed, 10),
			crashChildEnv+"_FSYNC="+string(policies[round%len(policies)]))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killer := func() { cmd.Process.Signal(syscall.SIGKILL) }
		// One round in five is killed counting from the start, so during
		// Open's recovery too; the others while they work.
		var kill *time.Timer
		early := rnd.Intn(5) == 0
		if early {
			kill = time.AfterFunc(time.Duration(rnd.Intn(80_000))*time.Microsecond, killer)
		}
		opened := false
		acking := map[uint64]bool{} // an ack begun, maybe done
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch f[0] {
			case "O":
				opened = true
				if !early {
					kill = time.AfterFunc(time.Duration(rnd.Intn(20_000))*time.Microsecond, killer)
				}
			case "E":
				t.Fatalf("round %d (seed %d): child failed: %s", round, seed, sc.Text())
			case "D":
				idx, _ := strconv.ParseUint(f[1], 10, 64)
				seq, _ := strconv.ParseUint(f[3], 10, 64)
				if seen[idx] {
					t.Fatalf("round %d (seed %d): index %d given twice", round, seed, idx)
				}
				if seq <= maxSeq[f[2]] {
					t.Fatalf("round %d (seed %d): %s seq %d after %d", round, seed, f[2], seq, maxSeq[f[2]])
				}
				seen[idx], maxSeq[f[2]] = true, seq
				waiting[idx] = crashRecord{f[2], seq}
				appends++
			case "P":
				idx, _ := strconv.ParseUint(f[1], 10, 64)
				acking[idx] = true
			case "A":
				idx, _ := strconv.ParseUint(f[1], 10, 64)
				delete(waiting, idx)
				acked[idx] = true
				acks++
			case "C":
				compacts++
			}
		}
		if kill != nil {
			kill.Stop()
		}
		killer() // if the timer had not fired yet
		cmd.Wait()
		if !opened {
			killsOpen++
		}

		var d dropCounter
		opt := crashOptions()
		opt.OnDrop = d.onDrop
		s, err := Open(dir, opt)
		if err != nil {
			t.Fatalf("round %d (seed %d): open after kill: %v", round, seed, err)
		}
		if st := s.Stats(); st.Oldest > time.Since(start)+time.Second {
			t.Fatalf("round %d (seed %d): oldest record %v old, the campaign started %v ago", round, seed, st.Oldest, time.Since(start))
		}
		got := map[uint64]bool{}
		last := map[string]uint64{}
		var stamp time.Time
		for _, r := range drain(t, s) {
			if r.Spooled.Before(stamp) {
				t.Fatalf("round %d (seed %d): record %d stamped %v, before the one ahead of it (%v)", round, seed, r.Index, r.Spooled, stamp)
			}
			stamp = r.Spooled
			got[r.Index] = true
			if acked[r.Index] {
				t.Fatalf("round %d (seed %d): acked record %d came back", round, seed, r.Index)
			}
			if r.Seq <= last[r.Camera] {
				t.Fatalf("round %d (seed %d): %s seq %d after %d in index order", round, seed, r.Camera, r.Seq, last[r.Camera])
			}
			last[r.Camera] = r.Seq
			if !strings.HasPrefix(string(r.Payload), fmt.Sprintf("%s/%d/", r.Camera, r.Seq)) {
				t.Fatalf("round %d (seed %d): record %d payload %.40q", round, seed, r.Index, r.Payload)
			}
			if w, ok := waiting[r.Index]; ok && w != (crashRecord{r.Camera, r.Seq}) {
				t.Fatalf("round %d (seed %d): record %d is %v, was %v", round, seed, r.Index, r, w)
			}
			// Appended but killed before it was printed: durable now.
			if !seen[r.Index] {
				seen[r.Index] = true
				maxSeq[r.Camera] = max(maxSeq[r.Camera], r.Seq)
				waiting[r.Index] = crashRecord{r.Camera, r.Seq}
			}
		}
		lost := 0
		for idx := range waiting {
			if !got[idx] && !acking[idx] {
				lost++
			}
		}
		drops := 0
		for _, n := range d.n {
			drops += n
		}
		if lost > 0 || drops > 0 {
			t.Fatalf("round %d (seed %d): %d durable records lost, %d dropped (%v); want none after kill -9", round, seed, lost, drops, d.n)
		}
		// Acks begun and done, though not printed.
		for idx := range waiting {
			if !got[idx] {
				delete(waiting, idx)
			}
		}
		for idx := range seen {
			if !got[idx] && !acked[idx] {
				acked[idx] = true
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("crash campaign: %d rounds, fsync always/interval/never in turn (%d killed before Open finished), %d durable appends, %d acks, %d compactions seen, %d records waiting at the end; lost 0",
		rounds, killsOpen, appends, acks, compacts, len(waiting))
	if appends < rounds || acks == 0 || compacts == 0 {
		t.Fatalf("the campaign did too little to mean anything: %d appends, %d acks, %d compactions", appends, acks, compacts)
	}
}
