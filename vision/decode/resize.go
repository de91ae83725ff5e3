package decode

// #include "avdec.h"
import "C"

// setPreReduce turns the integer pre-reduction before INTER_AREA (see
// area_resize in planes.cpp) on or off, process-wide. It is on unless a
// benchmark measures the difference; not safe while decoding.
func setPreReduce(on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	C.area_prereduce(v)
}
