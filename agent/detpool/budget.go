package detpool

import "time"

// budgetWindow sums inference time per second over the last four seconds:
// long enough to smooth a burst of crops, short enough to react within a
// few seconds.
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

// busyShare is the share of one worker's time that inference took over
// the window ending at now: the three full seconds before now's second
// plus the part of it gone by.
func (w *budgetWindow) busyShare(now time.Time) float64 {
	span := float64(len(w.slots)-1) + float64(now.Nanosecond())/1e9
	return w.busy(now) / span
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
