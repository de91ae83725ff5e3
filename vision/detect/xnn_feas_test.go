package detect

import (
	"math"
	"testing"
)

func TestXNNFeasibility(t *testing.T) {
	frames := vtestFrames(t, 100, 300)
	defer closeAll(frames)
	d := openDefault(t, nil)
	defer d.Close()
	SetOpenCVThreads(1)
	x, err := newXNN(d.cfg.Model)
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	t.Logf("steps %d slots %d %v outputs %+v", len(x.plan.steps), len(x.plan.slots), x.plan.slots, x.plan.outputs)
	for _, img := range frames {
		if err := d.forward(img); err != nil {
			t.Fatal(err)
		}
		if err := x.forward(img, d.geo, 128, d.cfg.Scale, d.cfg.Mean, !d.cfg.BGR); err != nil {
			t.Fatal(err)
		}
		for i := range x.outs {
			var md float64
			for k := range x.outs[i] {
				md = math.Max(md, math.Abs(float64(x.outs[i][k]-d.outs[i][k])))
			}
			t.Logf("output %d %v vs %v: max diff %g", i, x.shapes[i], d.shapes[i], md)
		}
	}
	img := frames[0]
	var tc, tx float64
	for r := 0; r < 30; r++ {
		c0 := cpuTime()
		d.forward(img)
		c1 := cpuTime()
		x.forward(img, d.geo, 128, d.cfg.Scale, d.cfg.Mean, !d.cfg.BGR)
		c2 := cpuTime()
		tc += (c1 - c0).Seconds()
		tx += (c2 - c1).Seconds()
	}
	t.Logf("opencv %.1f ms  xnnpack %.1f ms  ratio %.2f", tc/30*1000, tx/30*1000, tc/tx)
}
