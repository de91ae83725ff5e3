package decode

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/vision/clip"
)

// thread is one of this process's threads, from /proc.
type thread struct {
	name string
	cpu  time.Duration
	nice int
}

// decoderThreads returns the threads of this process named "avdec…" (the
// decoders' own threads) by thread id.
func decoderThreads(t *testing.T) map[int]thread {
	t.Helper()
	dir := "/proc/self/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]thread{}
	for _, e := range ents {
		comm, err := os.ReadFile(dir + "/" + e.Name() + "/comm")
		if err != nil || !strings.HasPrefix(string(comm), "avdec") {
			continue // a thread that ended meanwhile, or not a decoder's
		}
		stat, err := os.ReadFile(dir + "/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// utime, stime and nice are fields 14, 15 and 19; the name
		// before them is in parentheses and may hold spaces.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		nice, _ := strconv.Atoi(f[16])
		tid, _ := strconv.Atoi(e.Name())
		out[tid] = thread{name: strings.TrimSpace(string(comm)), cpu: time.Duration(ut+st) * (time.Second / 100), nice: nice}
	}
	return out
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// checkNoDecoderLeft fails the test if it ends with more decoder threads
// or open file descriptors than it started with.
func checkNoDecoderLeft(t *testing.T) {
	t.Helper()
	threads, fds := len(decoderThreads(t)), openFDs(t)
	t.Cleanup(func() {
		if n := len(decoderThreads(t)); n != threads {
			t.Errorf("%d decoder threads left running, want %d", n, threads)
		}
		if n := openFDs(t); n != fds {
			t.Errorf("%d file descriptors open, want %d", n, fds)
		}
	})
}

// TestDecodingOnOwnThread checks that libavcodec runs on the decoder's
// own threads, not in a cgo call on the caller's: a cgo call longer than
// 10 ms makes Go's sysmon take the thread's P and poll every 20 µs
// (docs/performance.md). If decoding came back to the caller's thread,
// the decoder threads' share of the process CPU would fall to nothing.
// Units decoded only as references go to the nicer "avdec-ref" thread.
func TestDecodingOnOwnThread(t *testing.T) {
	checkMats(t)
	checkNoDecoderLeft(t)
	aus, info := loadClip(t, "vtest_h264.mp4")
	aus = aus[:400]
	for _, c := range []struct {
		refNice int
		behind  bool // every unit marked Behind: none for avdec-ref
		names   []string
	}{
		{0, false, []string{"avdec", "avdec-ref"}}, // the default: 10
		{0, true, []string{"avdec", "avdec-ref"}},
		{-1, false, []string{"avdec"}},
	} {
		d, err := New(Options{Codec: info.Codec, ReferenceNice: c.refNice})
		if err != nil {
			t.Fatal(err)
		}
		before := decoderThreads(t)
		byName := map[string]int{}
		for tid, th := range before {
			byName[th.name] = tid
		}
		if len(before) != len(c.names) || len(byName) != len(c.names) {
			t.Fatalf("ReferenceNice %d: decoder threads %v, want %v", c.refNice, before, c.names)
		}
		if ref, ok := byName["avdec-ref"]; ok && before[ref].nice != before[byName["avdec"]].nice+DefaultReferenceNice {
			t.Errorf("nice: avdec-ref %d, avdec %d", before[ref].nice, before[byName["avdec"]].nice)
		}
		cpu0 := processCPU()
		for i, au := range aus {
			// Mostly not wanted: libavcodec's work, hardly any resizing.
			u := unit(au)
			u.Behind = c.behind
			f, err := d.Decode(u, i%50 == 0)
			if err != nil {
				t.Fatalf("AU %d: %v", i, err)
			}
			if f != nil {
				f.Release()
			}
		}
		total := processCPU() - cpu0
		after := decoderThreads(t)
		var own time.Duration
		for tid, th := range after {
			own += th.cpu - before[tid].cpu
		}
		st := d.Stats()
		d.Close()
		t.Logf("ReferenceNice %d, Behind %v: process %v, decoder threads %v, Stats.CPU %v, %d pictures", c.refNice, c.behind, total, own, st.CPU, st.Pictures)
		if st.Pictures < uint64(len(aus)) {
			t.Fatalf("%d pictures from %d units", st.Pictures, len(aus))
		}
		if own < total*6/10 {
			t.Errorf("decoder threads used %v of the process's %v: decoding is not on their own", own, total)
		}
		// Stats.CPU is measured per thread with a finer clock than /proc's.
		if st.CPU < own*8/10 || st.CPU > total+20*time.Millisecond {
			t.Errorf("Stats.CPU %v, want about the decoder threads' %v (process %v)", st.CPU, own, total)
		}
		if ref, ok := byName["avdec-ref"]; ok {
			// 49 of 50 units decoded only as references, unless Behind.
			refCPU := after[ref].cpu - before[ref].cpu
			if !c.behind && refCPU < own*7/10 || c.behind && refCPU > 0 {
				t.Errorf("Behind %v: avdec-ref used %v of the decoder threads' %v", c.behind, refCPU, own)
			}
		}
	}
}

// TestManyDecoders runs eight decoders at once on goroutines and checks
// that each gets exactly the pictures one decoder alone gets, and that
// closing them leaves no thread, descriptor or Mat behind.
func TestManyDecoders(t *testing.T) {
	checkMats(t)
	checkNoDecoderLeft(t)
	aus, info := loadClip(t, "vtest_h264.mp4")
	aus = aus[:100]
	want := lumaSums(t, info, aus)
	const n = 8
	decs := make([]*Decoder, n)
	for i := range decs {
		d, err := New(Options{Codec: info.Codec, AnalysisWidth: 160})
		if err != nil {
			t.Fatal(err)
		}
		decs[i] = d
	}
	if got := len(decoderThreads(t)); got < n {
		t.Errorf("%d decoder threads for %d decoders", got, n)
	}
	var wg sync.WaitGroup
	errs := make([]string, n)
	for i, d := range decs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer d.Close()
			got := decodeSums(d, aus)
			if len(got) != len(want) {
				errs[i] = "picture count " + strconv.Itoa(len(got)) + ", want " + strconv.Itoa(len(want))
				return
			}
			for k := range got {
				if got[k] != want[k] {
					errs[i] = "picture " + strconv.Itoa(k) + " differs from a lone decoder's"
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("decoder %d: %s", i, e)
		}
	}
}

// lumaSums decodes aus alone and returns each picture's luma sum.
func lumaSums(t *testing.T, info clip.Info, aus []clip.AccessUnit) []float64 {
	t.Helper()
	d, err := New(Options{Codec: info.Codec, AnalysisWidth: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sums := decodeSums(d, aus)
	if len(sums) != len(aus) {
		t.Fatalf("%d pictures from %d units", len(sums), len(aus))
	}
	return sums
}

// decodeSums decodes aus, every picture wanted; nil on an error.
func decodeSums(d *Decoder, aus []clip.AccessUnit) []float64 {
	var sums []float64
	for _, au := range aus {
		f, err := d.Decode(unit(au), true)
		if err != nil {
			return nil
		}
		if f != nil {
			sums = append(sums, f.Gray.Sum().Val1)
			f.Release()
		}
	}
	return sums
}

// TestCloseWhileDecoding closes decoders while their thread is decoding
// a unit (submitted, not waited for), and right after opening: Close
// waits for the thread, frees everything and leaves no thread or
// descriptor behind.
func TestCloseWhileDecoding(t *testing.T) {
	checkMats(t)
	checkNoDecoderLeft(t)
	aus, info := loadClip(t, "cam1080_h264.mp4")
	key := aus[0]
	if !key.RandomAccess {
		t.Fatal("cam1080_h264.mp4 does not start with a keyframe")
	}
	for i := 0; i < 20; i++ {
		d, err := New(Options{Codec: info.Codec})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			// A 1080p keyframe: tens of milliseconds on the thread.
			if _, err := d.submit(key.NALUs, 0, i%4 == 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decode(unit(key), true); err == nil {
			t.Fatal("Decode after Close: no error")
		}
	}
}
