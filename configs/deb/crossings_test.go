package deb

import "testing"

// TestSameCrossings checks the arm64/amd64 comparison on the crossings of
// the run that showed the difference (two of its 17, and the one that moved
// by 0.01 s): the rounding difference passes, anything that would be another
// count does not.
func TestSameCrossings(t *testing.T) {
	amd := []string{"19.46 left out person", "66.51 left out person", "67.85 left in person"}
	cases := []struct {
		name string
		arm  []string
		ok   bool
	}{
		{"as measured on arm64", []string{"19.46 left out person", "66.50 left out person", "67.85 left in person"}, true},
		{"a frame later", []string{"19.46 left out person", "66.71 left out person", "67.85 left in person"}, false},
		{"other direction", []string{"19.46 left in person", "66.51 left out person", "67.85 left in person"}, false},
		{"other class", []string{"19.46 left out person", "66.51 left out car", "67.85 left in person"}, false},
		{"one missing", []string{"19.46 left out person", "67.85 left in person"}, false},
		{"unreadable", []string{"x left out person", "66.51 left out person", "67.85 left in person"}, false},
	}
	for _, c := range cases {
		err := sameCrossings(c.arm, amd, crossingTimeTolerance)
		if (err == nil) != c.ok {
			t.Errorf("%s: sameCrossings = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
