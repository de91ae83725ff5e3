//go:build !matprofile

package eval

// matCount cannot see Mats without the matprofile tag; run the tests with
// -tags matprofile to check for leaks.
func matCount() int { return 0 }
