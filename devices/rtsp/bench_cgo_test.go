//go:build cgo

package rtsp

import (
	"path/filepath"
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pantau/pantau/vision/clip"
	"github.com/pion/rtp"
)

// BenchmarkReceive1080p measures the client's own work per access unit
// (depacketize, time-stamp, parameter-set handling, callback) on the
// camera-like 1080p25 clips, RTP packets prepared in advance; the network
// read is not included. Reproduce:
//
//	go test -run XXX -bench Receive1080p -benchtime 500x ./devices/rtsp
func BenchmarkReceive1080p(b *testing.B) {
	for _, name := range []string{"cam1080_h264.mp4", "cam1080_h265.mp4"} {
		b.Run(name, func(b *testing.B) {
			p := filepath.Join("..", "..", "testdata", "clips", name)
			aus, info, err := clip.ReadAll(p)
			if err != nil {
				b.Fatalf("%v: run scripts/setup.sh", err)
			}
			var forma format.Format
			var encode func([][]byte) ([]*rtp.Packet, error)
			if info.Codec == "h265" {
				f := &format.H265{PayloadTyp: 96}
				e, err := f.CreateEncoder()
				if err != nil {
					b.Fatal(err)
				}
				forma, encode = f, e.Encode
			} else {
				f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
				e, err := f.CreateEncoder()
				if err != nil {
					b.Fatal(err)
				}
				forma, encode = f, e.Encode
			}
			var pkts [][]*rtp.Packet
			bytes := 0
			for i, au := range aus {
				ps, err := encode(au.NALUs)
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range ps {
					p.Timestamp = uint32(i * 3600)
					bytes += len(p.Payload)
				}
				pkts = append(pkts, ps)
			}
			c := New(Config{URL: "rtsp://bench/cam"}, func(AccessUnit) {})
			ps := &paramSets{codec: info.Codec}
			handle, err := c.packetHandler(func(p *rtp.Packet) (int64, bool) { return int64(p.Timestamp), true }, forma, ps)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(bytes / len(aus)))
			b.ResetTimer()
			for i := range b.N {
				for _, p := range pkts[i%len(pkts)] {
					handle(p)
				}
			}
			b.StopTimer()
			if got := c.Stats().AccessUnits; got != uint64(b.N) {
				b.Fatalf("handed out %d access units, want %d", got, b.N)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*25/1e9*100, "%core@25fps")
		})
	}
}
