package hub

import (
	"sync"
	"time"
)

// LagStats is one camera's lag (hub receive time − ts) since the hub
// started: counts per bucket of LagBuckets (the last bucket is everything
// above) and estimates of the median and 95th percentile (bucket upper
// bounds).
type LagStats struct {
	Count   int64     `json:"count"`
	Buckets []int64   `json:"buckets"`
	P50     float64   `json:"p50_s"`
	P95     float64   `json:"p95_s"`
	Bounds  []float64 `json:"bounds_s"`
}

// lagBook keeps a lag histogram per camera. Safe for concurrent use.
type lagBook struct {
	mu   sync.Mutex
	cams map[[3]string][]int64
}

func (b *lagBook) observe(site, agent, camera string, lag time.Duration) {
	s := lag.Seconds()
	i := 0
	for i < len(lagBuckets) && s > lagBuckets[i] {
		i++
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cams == nil {
		b.cams = map[[3]string][]int64{}
	}
	k := [3]string{site, agent, camera}
	h := b.cams[k]
	if h == nil {
		h = make([]int64, len(lagBuckets)+1)
		b.cams[k] = h
	}
	h[i]++
}

// Lag returns the lag histogram of one camera, and false when the hub has
// seen nothing from it since it started.
func (b *lagBook) Lag(site, agent, camera string) (LagStats, bool) {
	b.mu.Lock()
	h := append([]int64(nil), b.cams[[3]string{site, agent, camera}]...)
	b.mu.Unlock()
	if h == nil {
		return LagStats{}, false
	}
	st := LagStats{Buckets: h, Bounds: lagBuckets}
	for _, n := range h {
		st.Count += n
	}
	st.P50, st.P95 = quantile(h, st.Count, 0.5), quantile(h, st.Count, 0.95)
	return st, true
}

func quantile(h []int64, total int64, q float64) float64 {
	var acc int64
	for i, n := range h {
		acc += n
		if float64(acc) >= q*float64(total) {
			if i < len(lagBuckets) {
				return lagBuckets[i]
			}
			break
		}
	}
	return lagBuckets[len(lagBuckets)-1] * 2 // beyond the last bound
}
