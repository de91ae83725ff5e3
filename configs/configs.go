// Package configs holds the shipped example configurations. Demo is built
// into the binary so `pantau demo` runs with no file at hand.
package configs

import _ "embed"

// Demo is configs/demo.yaml: one camera with a counting line, a zone and
// tamper detection. `pantau demo` points its camera, broker, HTTP listener
// and spool at what it starts itself.
//
//go:embed demo.yaml
var Demo []byte
