package vision

import (
	"strings"
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	// 2026-11-23 is a Monday.
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, 23+day, h, m, 0, 0, time.UTC) }
	const mon, tue, fri, sat, sun = 0, 1, 4, 5, 6
	cases := []struct {
		spec string
		at   time.Time
		want bool
	}{
		{"", at(mon, 12, 0), false},
		{"always", at(sun, 3, 0), true},
		{"mon-fri 18:00-06:00", at(mon, 17, 59), false},
		{"mon-fri 18:00-06:00", at(mon, 18, 0), true},
		{"mon-fri 18:00-06:00", at(tue, 5, 59), true},
		{"mon-fri 18:00-06:00", at(tue, 6, 0), false},
		{"mon-fri 18:00-06:00", at(sat, 5, 0), true},
		{"mon-fri 18:00-06:00", at(sat, 20, 0), false},
		{"mon-fri 18:00-06:00", at(mon, 3, 0), false},
		{"sun 22:00-02:00", at(mon, 1, 59), true}, // wraps round the week
		{"sun 22:00-02:00", at(mon, 2, 0), false},
		{"sat,sun", at(sat, 0, 0), true},
		{"sat,sun", at(sun, 23, 59), true},
		{"sat,sun", at(fri, 23, 59), false},
		{"fri-mon", at(sun, 12, 0), true},
		{"fri-mon", at(tue, 12, 0), false},
		{"22:00-05:30", at(tue, 23, 0), true},
		{"22:00-05:30", at(tue, 5, 29), true},
		{"22:00-05:30", at(tue, 12, 0), false},
		{"MON 09:00-17:00; Sat 00:00-24:00", at(sat, 23, 0), true},
		{"MON 09:00-17:00; Sat 00:00-24:00", at(mon, 17, 0), false},
		{"tue 00:00-00:00", at(tue, 13, 0), true}, // start == end: the full day
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.spec)
		if err != nil {
			t.Fatalf("%q: %v", c.spec, err)
		}
		if got := s.Armed(c.at); got != c.want {
			t.Errorf("%q at %s: armed=%v, want %v", c.spec, c.at.Format("Mon 15:04"), got, c.want)
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := map[string]string{
		"mon-fry 18:00-06:00": `entry 1 "mon-fry 18:00-06:00": unknown day "fry"`,
		"mon 18:00":           `entry 1 "mon 18:00": time range "18:00": want HH:MM-HH:MM`,
		"mon 25:00-06:00":     `time "25:00": want HH:MM between 00:00 and 24:00`,
		"mon 18:0-06:00":      `time "18:0"`,
		"always; mon x y":     `entry 2 "mon x y": want [DAYS] [HH:MM-HH:MM]`,
		"24:00-02:00":         `cannot start at 24:00`,
	}
	for spec, want := range cases {
		_, err := ParseSchedule(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", spec, err, want)
		}
	}
}

// FuzzSchedule: any spec either fails to parse or answers Armed for any
// time without panicking; the table of TestSchedule seeds it.
func FuzzSchedule(f *testing.F) {
	for _, s := range []string{"", "always", "mon-fri 18:00-06:00", "sat,sun", "fri-mon", "22:00-05:30",
		"MON 09:00-17:00; Sat 00:00-24:00", "tue 00:00-00:00", "mon-fry", "24:00-02:00", "mon 25:00-06:00"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, spec string, sec int64) {
		s, err := ParseSchedule(spec)
		if err != nil {
			return
		}
		s.Armed(time.Unix(sec%(1<<40), 0).UTC())
	})
}

// TestScheduleConfigForms: the one-entry-per-item form of the config file
// (zones[].intrusion.schedule) parses entry by entry with the same rules.
func TestScheduleConfigForms(t *testing.T) {
	// 2026-11-27 is a Friday.
	at := func(day int, h, m int) time.Time { return time.Date(2026, 11, 27+day, h, m, 0, 0, time.UTC) }
	cases := []struct {
		entry string
		when  time.Time
		want  bool
	}{
		{"09:00-17:00", at(0, 8, 59), false},
		{"09:00-17:00", at(0, 9, 0), true},
		{"09:00-17:00", at(0, 17, 0), false},
		{"mon-fri 19:00-07:00", at(1, 6, 0), true},   // Friday night into Saturday
		{"mon-fri 19:00-07:00", at(1, 20, 0), false}, // Saturday night is off
		{"mon-fri 19:00-07:00", at(3, 6, 0), false},  // Monday 06:00: Sunday not listed
		{"sat,sun 00:00-24:00", at(2, 23, 59), true},
		{"fri-mon 10:00-11:00", at(3, 10, 30), true}, // range wraps the week
		{"fri-mon 10:00-11:00", at(4, 10, 30), false},
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.entry)
		if err != nil {
			t.Fatalf("%q: %v", c.entry, err)
		}
		if got := s.Armed(c.when); got != c.want {
			t.Errorf("%q at %s = %v, want %v", c.entry, c.when.Format("Mon 15:04"), got, c.want)
		}
	}
	for _, bad := range []string{"sometimes", "25:00-01:00", "mon-xyz 10:00-11:00", "a b c", "10:00"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) = nil error", bad)
		}
	}
}
