//go:build !matprofile

package bench

// matCount cannot count Mats without -tags matprofile; the leak checks
// then compare 0 with 0. `make test` runs with the tag.
func matCount() int { return 0 }
