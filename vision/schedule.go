package vision

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a set of weekly time ranges, parsed by ParseSchedule. The zero
// value is never armed.
type Schedule struct {
	// spans are [start, end) in seconds from Monday 00:00; end may pass the
	// end of the week (a Sunday-night range that runs into Monday).
	spans [][2]int
}

const week = 7 * 24 * 3600

var dayNames = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// ParseSchedule reads a schedule. The syntax is a list of entries separated
// by ";". Each entry is days, a time range, or days followed by a time
// range:
//
//	mon-fri 18:00-06:00     weekday evenings until 06:00 the next morning
//	sat,sun                 all of Saturday and Sunday
//	22:00-05:30             every night
//	fri-mon 00:00-24:00     day ranges may wrap around the week
//	always                  all the time
//
// Days are mon tue wed thu fri sat sun (case-insensitive), single or as
// ranges, separated by commas. Times are HH:MM in 24-hour clock; 24:00 is
// the end of the day. A range whose end is not after its start crosses
// midnight and belongs to the day it starts on, so "fri 22:00-02:00" arms
// Saturday 01:00 but not Friday 01:00. An empty string is never armed.
func ParseSchedule(s string) (Schedule, error) {
	var sch Schedule
	for i, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(strings.ToLower(entry))
		if entry == "" {
			continue
		}
		if entry == "always" {
			sch.spans = append(sch.spans, [2]int{0, week})
			continue
		}
		fields := strings.Fields(entry)
		days := []bool{true, true, true, true, true, true, true}
		from, to := 0, 24*3600
		var err error
		switch {
		case len(fields) == 1 && strings.Contains(fields[0], ":"):
			from, to, err = parseRange(fields[0])
		case len(fields) == 1:
			days, err = parseDays(fields[0])
		case len(fields) == 2:
			if days, err = parseDays(fields[0]); err == nil {
				from, to, err = parseRange(fields[1])
			}
		default:
			err = errors.New("want [DAYS] [HH:MM-HH:MM]")
		}
		if err != nil {
			return Schedule{}, fmt.Errorf("entry %d %q: %w", i+1, entry, err)
		}
		if to <= from {
			to += 24 * 3600
		}
		for d, on := range days {
			if on {
				sch.spans = append(sch.spans, [2]int{d*24*3600 + from, d*24*3600 + to})
			}
		}
	}
	return sch, nil
}

func parseDays(s string) ([]bool, error) {
	days := make([]bool, 7)
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := dayIndex(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = dayIndex(hi); err != nil {
				return nil, err
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, nil
}

func dayIndex(s string) (int, error) {
	for i, n := range dayNames {
		if s == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown day %q (want mon, tue, wed, thu, fri, sat or sun)", s)
}

func parseRange(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("time range %q: want HH:MM-HH:MM", s)
	}
	if from, err = parseClock(a); err != nil {
		return 0, 0, err
	}
	if to, err = parseClock(b); err != nil {
		return 0, 0, err
	}
	if from == 24*3600 {
		return 0, 0, fmt.Errorf("time %q: a range cannot start at 24:00", a)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q: want HH:MM between 00:00 and 24:00", s)
	}
	return hh*3600 + mm*60, nil
}

// Armed reports whether t falls in the schedule, read in t's location.
func (s Schedule) Armed(t time.Time) bool {
	if len(s.spans) == 0 {
		return false
	}
	// Monday = 0.
	wd := (int(t.Weekday()) + 6) % 7
	sec := wd*24*3600 + t.Hour()*3600 + t.Minute()*60 + t.Second()
	for _, sp := range s.spans {
		if (sec >= sp[0] && sec < sp[1]) || (sec+week >= sp[0] && sec+week < sp[1]) {
			return true
		}
	}
	return false
}

// Empty reports whether the schedule is never armed.
func (s Schedule) Empty() bool { return len(s.spans) == 0 }
