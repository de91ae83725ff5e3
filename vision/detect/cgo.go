package detect

// #cgo pkg-config: opencv4
// #cgo CXXFLAGS: -std=c++17
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"fmt"
	"unsafe"
)

// peopleCoefficients returns a Go copy of OpenCV's default HOG people
// detector. gocv's HOGDefaultPeopleDetector wraps a vector that is freed
// before it returns, so it is not used.
func peopleCoefficients() ([]float32, error) {
	buf := make([]float32, 4096)
	n := int(C.pn_hog_people((*C.float)(unsafe.Pointer(&buf[0])), C.int(len(buf))))
	if n < 0 {
		buf = make([]float32, -n)
		n = int(C.pn_hog_people((*C.float)(unsafe.Pointer(&buf[0])), C.int(len(buf))))
	}
	if n <= 0 {
		return nil, fmt.Errorf("hog: OpenCV returned no people detector coefficients")
	}
	return buf[:n], nil
}

// float32Bytes views a float32 slice as bytes (no copy).
func float32Bytes(f []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), len(f)*4)
}
