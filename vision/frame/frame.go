// Package frame defines the decoded picture that travels from the decoder
// to the analyzers of one camera.
package frame

import (
	"time"

	"gocv.io/x/gocv"
)

// Frame is one decoded picture at analysis size. It owns its Mats and never
// aliases decoder memory. Whoever holds a Frame either releases it once
// (Release) or hands it on; analyzers must not keep it after Analyze returns.
type Frame struct {
	// Gray is the luma plane resized (INTER_AREA) to the analysis size,
	// type CV_8UC1.
	Gray gocv.Mat
	// Time is the wall-clock capture time of the picture: its presentation
	// time mapped to the wall clock, so it follows presentation order.
	Time time.Time
	// Arrived is when the picture's coded data arrived (zero when
	// unknown); the frame-to-result latency is measured from it.
	Arrived time.Time
	// PTS is the stream presentation time.
	PTS time.Duration
	// Seq counts frames handed out by the decoder, from 1.
	Seq uint64
	// SrcWidth and SrcHeight are the decoded (source) resolution.
	SrcWidth, SrcHeight int
	// Saturation is how colourful the picture is: the mean distance of
	// its chroma samples from neutral gray, in 8-bit chroma levels (0 for
	// a black-and-white picture such as a camera's infrared mode, about
	// 17 for vtest). The decoder measures it on a sparse grid of the
	// chroma planes, colour kept or not; it is negative when unknown (a
	// gray-only source, a frame not from the decoder). New sets it to -1.
	Saturation float64

	// bgr is produced on demand by BGR.
	bgr     gocv.Mat
	bgrOK   bool
	makeBGR func(dst *gocv.Mat) error
	release func(*Frame)
}

// New returns a Frame with an empty Gray Mat. makeBGR, if not nil, fills a
// colour version of this frame at analysis size on demand; release, if not
// nil, is called by Release instead of closing the Mats (to return the frame
// to a pool).
func New(makeBGR func(dst *gocv.Mat) error, release func(*Frame)) *Frame {
	return &Frame{Gray: gocv.NewMat(), bgr: gocv.NewMat(), makeBGR: makeBGR, release: release, Saturation: -1}
}

// BGR returns a colour (CV_8UC3) version of the frame at analysis size,
// producing it on first call. It fails when the frame's source cannot
// provide colour. The returned Mat belongs to the frame: do not close it.
func (f *Frame) BGR() (gocv.Mat, error) {
	if f.bgrOK {
		return f.bgr, nil
	}
	if f.makeBGR == nil {
		return f.bgr, errNoColour
	}
	if err := f.makeBGR(&f.bgr); err != nil {
		return f.bgr, err
	}
	f.bgrOK = true
	return f.bgr, nil
}

// SetBGRSource replaces the function that produces the colour version of
// the frame and forgets any colour version already made. Decoders call it
// when they reuse a pooled frame.
func (f *Frame) SetBGRSource(makeBGR func(dst *gocv.Mat) error) {
	f.makeBGR = makeBGR
	f.bgrOK = false
}

// Release hands the frame back to its pool, or closes its Mats when it has
// none. The frame must not be used afterwards.
func (f *Frame) Release() {
	if f.release != nil {
		f.release(f)
		return
	}
	f.Close()
}

// Close frees the frame's native memory.
func (f *Frame) Close() {
	f.Gray.Close()
	f.bgr.Close()
}

type frameError string

func (e frameError) Error() string { return string(e) }

const errNoColour = frameError("frame: no colour source for this frame")
