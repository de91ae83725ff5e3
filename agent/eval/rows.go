package eval

import "sort"

// LineScore sums both directions of one line: what a command centre
// reading the line's in and out counts would get.
type LineScore struct {
	Rule      string  `json:"rule"`
	Truth     int     `json:"truth"`
	Counted   int     `json:"counted"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// CountError is (|counted in − true in| + |counted out − true out|)
	// divided by the line's truth (by 1 when it has none).
	CountError float64 `json:"count_error"`
}

// ClassScore scores one class over the scored rules. Events match whatever
// their classes (see Score); a match is classed right when the counted
// class is the true one.
type ClassScore struct {
	Class string `json:"class"`
	// Truth is how many true events have this class; Counted how many
	// counted events (of scored rules) were given it.
	Truth   int `json:"truth"`
	Counted int `json:"counted"`
	// Matched is how many true events of this class were matched (by a
	// counted event of any class), Classed how many of those were counted
	// as this class.
	Matched int `json:"matched"`
	Classed int `json:"classed"`
	// Precision is Classed/Counted, Recall Classed/Truth (1 when the
	// divisor is 0), F1 their harmonic mean.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// lineScores sums the in and out rows of each line.
func lineScores(rules []RuleScore) []LineScore {
	out := []LineScore{}
	idx := map[string]int{}
	matched := map[string]int{}
	for _, r := range rules {
		if r.Direction != "in" && r.Direction != "out" {
			continue
		}
		i, ok := idx[r.Rule]
		if !ok {
			i = len(out)
			idx[r.Rule] = i
			out = append(out, LineScore{Rule: r.Rule})
		}
		l := &out[i]
		l.Truth += r.Truth
		l.Counted += r.Counted
		matched[r.Rule] += r.Matched
		l.CountError += float64(abs(r.Counted - r.Truth))
	}
	for i := range out {
		l := &out[i]
		l.Precision, l.Recall, l.F1 = prf(matched[l.Rule], l.Counted, l.Truth)
		l.CountError = round(l.CountError / float64(max(1, l.Truth)))
	}
	return out
}

// classScores makes the class rows and the overall classed share, both
// nil when no true event has a class.
func classScores(truth []Truth, rules []RuleScore) ([]ClassScore, *float64) {
	classedTruth := false
	for _, t := range truth {
		if t.Class != "" {
			classedTruth = true
			break
		}
	}
	if !classedTruth {
		return nil, nil
	}
	rows := map[string]*ClassScore{}
	row := func(class string) *ClassScore {
		if class == "" {
			class = "-"
		}
		r, ok := rows[class]
		if !ok {
			r = &ClassScore{Class: class}
			rows[class] = r
		}
		return r
	}
	var pairs, right int
	for _, rs := range rules {
		for _, m := range rs.Misses {
			row(m.Class).Truth++
		}
		for _, f := range rs.FalseAlarms {
			row(f.Class).Counted++
		}
		for _, p := range rs.pairs {
			tr := row(p.t.Class)
			tr.Truth++
			tr.Matched++
			row(p.c.Class).Counted++
			same := p.c.Class == p.t.Class
			if same {
				tr.Classed++
			}
			if p.t.Class != "" {
				pairs++
				if same {
					right++
				}
			}
		}
	}
	out := make([]ClassScore, 0, len(rows))
	for _, r := range rows {
		r.Precision, r.Recall, r.F1 = prf(r.Classed, r.Counted, r.Truth)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	share := 1.0
	if pairs > 0 {
		share = round(float64(right) / float64(pairs))
	}
	return out, &share
}
