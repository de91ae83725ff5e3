package pipeline

import "fmt"

// SetAnalyzers replaces the analyzers while the pipeline runs, for a config
// reload that changes only a camera's rules: decoding and the stream go on
// without a gap. It returns once no frame is being analysed with the old
// analyzers, so the caller may close them then. Safe for concurrent use,
// but not from an analyzer or onResult (it would wait for itself).
func (p *Pipeline) SetAnalyzers(analyzers []Analyzer) error {
	for i, a := range analyzers {
		if a == nil {
			return fmt.Errorf("pipeline: analyzer %d is nil", i)
		}
	}
	p.anMu.Lock()
	p.analyzers = analyzers
	p.anMu.Unlock()
	return nil
}
