package eval

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseTruth: any input parses or fails with an error, and whatever
// parses can be scored against itself perfectly.
func FuzzParseTruth(f *testing.F) {
	for _, s := range []string{
		"time_s,rule,direction\n1,mid,in\n",
		"# c\ntime_s,rule,direction,class\n1.5,mid,in,person\n2,mid,out\n3.25, tamper, covered\n",
		"time_s,rule,direction\nx,mid,in\n", "", "time_s,rule,direction\n1,\"a,b\",in\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		truth, err := ParseTruth(strings.NewReader(in))
		if err != nil {
			return
		}
		var counted []Counted
		for _, tr := range truth {
			counted = append(counted, Counted{Time: tr.Time, Rule: tr.Rule, Direction: tr.Direction, Class: tr.Class})
		}
		rep := Score(truth, counted, time.Second)
		if rep.Overall.Truth != len(truth) || rep.Overall.F1 != 1 || rep.Overall.CountError != 0 {
			t.Fatalf("self-score of %q: %+v", in, rep.Overall)
		}
	})
}
