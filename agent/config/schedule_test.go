package config

import (
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	// 2026-11-27 is a Friday.
	at := func(day int, hhmm string) time.Time {
		tm, err := time.Parse("15:04", hhmm)
		if err != nil {
			t.Fatal(err)
		}
		return time.Date(2026, 11, 27+day, tm.Hour(), tm.Minute(), 0, 0, time.UTC)
	}
	cases := []struct {
		entries []string
		when    time.Time
		want    bool
	}{
		{[]string{"always"}, at(0, "12:00"), true},
		{nil, at(0, "12:00"), false},
		{[]string{"09:00-17:00"}, at(0, "08:59"), false},
		{[]string{"09:00-17:00"}, at(0, "09:00"), true},
		{[]string{"09:00-17:00"}, at(0, "17:00"), false},
		{[]string{"22:00-06:00"}, at(0, "23:30"), true},
		{[]string{"22:00-06:00"}, at(0, "05:59"), true},
		{[]string{"22:00-06:00"}, at(0, "12:00"), false},
		// Friday night runs into Saturday morning, but Saturday night is off.
		{[]string{"mon-fri 19:00-07:00"}, at(1, "06:00"), true},
		{[]string{"mon-fri 19:00-07:00"}, at(1, "20:00"), false},
		{[]string{"mon-fri 19:00-07:00"}, at(3, "06:00"), false}, // Monday 06:00: Sunday not listed
		{[]string{"sat,sun 00:00-24:00"}, at(2, "23:59"), true},
		{[]string{"sat,sun 00:00-24:00"}, at(0, "23:59"), false},
		{[]string{"fri-mon 10:00-11:00"}, at(3, "10:30"), true}, // range wraps the week
		{[]string{"fri-mon 10:00-11:00"}, at(4, "10:30"), false},
	}
	for _, tc := range cases {
		s, err := ParseSchedule(tc.entries)
		if err != nil {
			t.Fatalf("ParseSchedule(%q): %v", tc.entries, err)
		}
		if got := s.Active(tc.when); got != tc.want {
			t.Errorf("%q at %s = %v, want %v", tc.entries, tc.when.Format("Mon 15:04"), got, tc.want)
		}
	}
	for _, bad := range []string{"sometimes", "mon 9:00-10:00", "25:00-01:00", "mon-xyz 10:00-11:00", "a b c", "10:00"} {
		if _, err := ParseSchedule([]string{bad}); err == nil {
			t.Errorf("ParseSchedule(%q) = nil error", bad)
		}
	}
}
