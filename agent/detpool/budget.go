package detpool

import "time"

// budgetSpan is how far back the pool looks to judge whether the detector
// keeps within its budget: long enough to smooth a burst of crops, short
// enough to react within a few seconds.
const budgetSpan = 4 * time.Second

// budgetWindow sums inference time per second over the last budgetSpan.
type budgetWindow struct {
	slots    [4]time.Duration // one per second, indexed by unix second mod 4
	stamp    [4]int64         // the unix second each slot holds
	adjusted time.Time        // last time the scale was reconsidered
}

func (w *budgetWindow) add(now time.Time, d time.Duration) {
	s := now.Unix()
	i := s % int64(len(w.slots))
	if w.stamp[i] != s {
		w.stamp[i], w.slots[i] = s, 0
	}
	w.slots[i] += d
}

// busy is the inference time within the window ending at now.
func (w *budgetWindow) busy(now time.Time) float64 {
	s := now.Unix()
	var total time.Duration
	for i, st := range w.stamp {
		if s-st < int64(len(w.slots)) {
			total += w.slots[i]
		}
	}
	return total.Seconds()
}
