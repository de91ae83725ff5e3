package decode

import (
	"syscall"
	"testing"
	"time"
)

// benchDecode decodes the clip in a loop, one access unit per op, wanting
// one picture in every `every` (5 fps analysis of a 25 fps camera: 5).
func benchDecode(b *testing.B, name string, opt Options, every int) {
	aus, info := loadClip(b, name)
	opt.Codec = info.Codec
	d, err := New(opt)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	// Warm up: pool, Mats and libavcodec buffers reach their size.
	for _, au := range aus[:50] {
		if f, _ := d.Decode(unit(au), true); f != nil {
			f.Release()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	frames := 0
	for i := 0; i < b.N; i++ {
		au := aus[(50+i)%len(aus)]
		f, err := d.Decode(unit(au), i%every == 0)
		if err != nil {
			b.Fatal(err)
		}
		if f != nil {
			frames++
			f.Release()
		}
	}
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
	// CPU time, unlike ns/op, does not count waiting for a busy CPU.
	b.ReportMetric(float64(processCPU()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
}

// processCPU is the user+system CPU time of the test process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkDecode1080Analysis(b *testing.B) {
	benchDecode(b, "cam1080_h264.mp4", Options{}, 5)
}

func BenchmarkDecode1080Exact(b *testing.B) {
	benchDecode(b, "cam1080_h264.mp4", Options{Exact: true}, 5)
}

func BenchmarkDecode1080AllWanted(b *testing.B) {
	benchDecode(b, "cam1080_h264.mp4", Options{}, 1)
}

func BenchmarkDecode1080Keyframes(b *testing.B) {
	benchDecode(b, "cam1080_h264.mp4", Options{KeyframesOnly: true}, 1)
}

func BenchmarkDecode1080H265Analysis(b *testing.B) {
	benchDecode(b, "cam1080_h265.mp4", Options{}, 5)
}

func BenchmarkDecode576Analysis(b *testing.B) {
	benchDecode(b, "vtest_h264.mp4", Options{}, 2)
}

// 1080p to 600 px wide (ratio 3.2, OpenCV's general INTER_AREA path),
// every picture wanted: with the integer pre-reduction (the default) and
// without it.
func BenchmarkDecode1080At600(b *testing.B) {
	benchDecode(b, "cam1080_h264.mp4", Options{AnalysisWidth: 600}, 1)
}

func BenchmarkDecode1080At600Direct(b *testing.B) {
	setPreReduce(false)
	defer setPreReduce(true)
	benchDecode(b, "cam1080_h264.mp4", Options{AnalysisWidth: 600}, 1)
}
