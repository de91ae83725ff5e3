package config

import (
	"fmt"
	"strings"
	"time"
)

// Schedule says when something is armed: a union of weekly time ranges in
// local time. The zero Schedule is never armed. Build one with
// ParseSchedule.
type Schedule struct {
	always bool
	ranges []dayRange
}

// dayRange is armed on the days in days (bit 0 = Sunday) from start to end
// (minutes after midnight); end <= start runs past midnight into the next
// day.
type dayRange struct {
	days       uint8
	start, end int
}

var weekdays = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// ParseSchedule parses entries such as "always", "22:00-06:00",
// "mon-fri 18:00-07:30" or "sat,sun 00:00-24:00". Days are mon..sun, as a
// comma list and/or ranges; without days every day is meant. A range whose
// end is not after its start runs into the next day.
func ParseSchedule(entries []string) (Schedule, error) {
	var s Schedule
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "always" {
			s.always = true
			continue
		}
		fields := strings.Fields(e)
		days := uint8(0x7f)
		var err error
		switch len(fields) {
		case 1:
		case 2:
			if days, err = parseDays(fields[0]); err != nil {
				return Schedule{}, err
			}
		default:
			return Schedule{}, fmt.Errorf("want \"always\" or \"[DAYS ]HH:MM-HH:MM\", got %q", e)
		}
		from, to, ok := strings.Cut(fields[len(fields)-1], "-")
		start, err1 := parseClock(from)
		end, err2 := parseClock(to)
		if !ok || err1 != nil || err2 != nil {
			return Schedule{}, fmt.Errorf("want a time range HH:MM-HH:MM, got %q", fields[len(fields)-1])
		}
		s.ranges = append(s.ranges, dayRange{days: days, start: start, end: end})
	}
	return s, nil
}

func parseDays(s string) (uint8, error) {
	var days uint8
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok1 := weekdays[a]
		to, ok2 := weekdays[b]
		if !isRange {
			to, ok2 = from, ok1
		}
		if !ok1 || !ok2 {
			return 0, fmt.Errorf("unknown day in %q (use mon, tue, wed, thu, fri, sat, sun)", s)
		}
		for d := from; ; d = (d + 1) % 7 {
			days |= 1 << d
			if d == to {
				break
			}
		}
	}
	return days, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}

// Active reports whether the schedule is armed at t (in t's location).
func (s Schedule) Active(t time.Time) bool {
	if s.always {
		return true
	}
	min := t.Hour()*60 + t.Minute()
	today := int(t.Weekday())
	yesterday := (today + 6) % 7
	for _, r := range s.ranges {
		if r.end > r.start {
			if r.days&(1<<today) != 0 && min >= r.start && min < r.end {
				return true
			}
			continue
		}
		// Past midnight: the evening part belongs to a listed day, the
		// morning part to the day after one.
		if r.days&(1<<today) != 0 && min >= r.start {
			return true
		}
		if r.days&(1<<yesterday) != 0 && min < r.end {
			return true
		}
	}
	return false
}
