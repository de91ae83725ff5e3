package detect

// #include "shim.h"
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"unsafe"

	"github.com/pantau/pantau/vision"
)

// ErrBadOutput is wrapped by the errors of a forward pass whose output
// cannot be used: no output, an empty one, one of the wrong shape, or NaN.
// The caller skips the frame and counts it; the detector stays usable.
var ErrBadOutput = errors.New("dnn: bad model output")

// Box coder scales of the TensorFlow Object Detection API's SSD models
// (FasterRcnnBoxCoder: y, x, height, width).
const (
	scaleYX = 10
	scaleHW = 5
	// maxCandidates bounds the boxes that reach NMS (it is quadratic).
	maxCandidates = 300
)

// readAnchors reads an anchors file (N × ymin, xmin, ymax, xmax as
// little-endian float32), checks its sha256 and returns the anchors in
// centre form: cy, cx, h, w per anchor.
func readAnchors(path, sum string) ([]float32, error) {
	if err := verifySHA256(path, sum); err != nil {
		return nil, fmt.Errorf("anchors: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("anchors: %w", err)
	}
	if len(b) == 0 || len(b)%16 != 0 {
		return nil, fmt.Errorf("anchors: %s has %d bytes, not a multiple of 16 (4 float32 per anchor)", path, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := 0; i < len(b); i += 16 {
		var v [4]float32
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[i+4*j:]))
		}
		ymin, xmin, ymax, xmax := v[0], v[1], v[2], v[3]
		if !(ymax > ymin && xmax > xmin) {
			return nil, fmt.Errorf("anchors: %s: anchor %d is %v, not ymin, xmin, ymax, xmax", path, i/16, v)
		}
		k := i / 4
		out[k], out[k+1], out[k+2], out[k+3] = (ymin+ymax)/2, (xmin+xmax)/2, ymax-ymin, xmax-xmin
	}
	return out, nil
}

// decodeAnchored turns the two outputs of a TF SSD — box encodings
// [1, N, 4] (ty, tx, th, tw) and class scores [1, N, C] after the sigmoid,
// index 0 the background — into d.dets, boxes normalised to the network
// input. Every kept class of an anchor whose score passes is a candidate,
// as in the model's own post-processing (one box may be a person and a
// bicycle).
func (d *DNN) decodeAnchored() error {
	n, nc := len(d.anchors)/4, len(d.classes)
	if len(d.outs) != 2 {
		return fmt.Errorf("%w: %d outputs, want boxes [1, %d, 4] and scores [1, %d, %d]", ErrBadOutput, len(d.outs), n, n, nc)
	}
	boxes, scores := d.outs[0], d.outs[1]
	bs, ss := d.shapes[0], d.shapes[1]
	if last(bs) != 4 && last(ss) == 4 { // OpenCV may list them either way
		boxes, scores, bs, ss = scores, boxes, ss, bs
	}
	if !sameShape(bs, 1, n, 4) || !sameShape(ss, 1, n, nc) || len(boxes) != n*4 || len(scores) != n*nc {
		return fmt.Errorf("%w: outputs %v and %v, want boxes [1, %d, 4] and scores [1, %d, %d]", ErrBadOutput, bs, ss, n, n, nc)
	}
	if i := firstNaN(boxes); i >= 0 {
		return fmt.Errorf("%w: box value %d is %v", ErrBadOutput, i, boxes[i])
	}
	if i := firstNaN(scores); i >= 0 {
		return fmt.Errorf("%w: score %d is %v", ErrBadOutput, i, scores[i])
	}
	conf := float32(d.cfg.Confidence)
	for i := 0; i < n; i++ {
		row := scores[i*nc : (i+1)*nc]
		var box vision.Rect
		decoded := false
		for _, c := range d.kept {
			if c == 0 || row[c] < conf {
				continue // index 0 is the background
			}
			if !decoded {
				box = decodeBox(boxes[i*4:i*4+4], d.anchors[i*4:i*4+4])
				decoded = true
			}
			d.add(c, float64(row[c]), box)
		}
	}
	if len(d.dets) > maxCandidates {
		d.dets = topScores(d.dets, maxCandidates)
	}
	return nil
}

// decodeBox applies one box encoding t (ty, tx, th, tw) to its anchor a
// (cy, cx, h, w): cy = ty/10·ah + ay, cx = tx/10·aw + ax, h = e^(th/5)·ah,
// w = e^(tw/5)·aw. The result is normalised to the network input.
func decodeBox(t, a []float32) vision.Rect {
	cy := float64(t[0])/scaleYX*float64(a[2]) + float64(a[0])
	cx := float64(t[1])/scaleYX*float64(a[3]) + float64(a[1])
	h := math.Exp(float64(t[2])/scaleHW) * float64(a[2])
	w := math.Exp(float64(t[3])/scaleHW) * float64(a[3])
	return vision.Rect{X: cx - w/2, Y: cy - h/2, W: w, H: h}
}

// letterbox is where a picture went in the network input, in input
// pixels: x, y, w, h of the resized picture in an inW × inH input.
type letterbox struct {
	x, y, w, h int
	inW, inH   int
}

// fit places a cols × rows picture in an inW × inH input: scaled to fit
// and centred (letterbox), or stretched over all of it.
func fit(cols, rows, inW, inH int, stretch bool) letterbox {
	if stretch || cols <= 0 || rows <= 0 {
		return letterbox{0, 0, inW, inH, inW, inH}
	}
	s := min(float64(inW)/float64(cols), float64(inH)/float64(rows))
	w := min(max(int(math.Round(float64(cols)*s)), 1), inW)
	h := min(max(int(math.Round(float64(rows)*s)), 1), inH)
	return letterbox{(inW - w) / 2, (inH - h) / 2, w, h, inW, inH}
}

// toImage maps a box normalised to the network input to one normalised to
// the picture.
func (g letterbox) toImage(r vision.Rect) vision.Rect {
	fx, fy := float64(g.inW)/float64(g.w), float64(g.inH)/float64(g.h)
	ox, oy := float64(g.x)/float64(g.inW), float64(g.y)/float64(g.inH)
	return vision.Rect{X: (r.X - ox) * fx, Y: (r.Y - oy) * fy, W: r.W * fx, H: r.H * fy}
}

func last(s []int) int {
	if len(s) == 0 {
		return -1
	}
	return s[len(s)-1]
}

// sameShape reports whether s is want, leading ones aside.
func sameShape(s []int, want ...int) bool {
	for len(s) > len(want) && s[0] == 1 {
		s = s[1:]
	}
	for len(want) > len(s) && want[0] == 1 {
		want = want[1:]
	}
	if len(s) != len(want) {
		return false
	}
	for i := range s {
		if s[i] != want[i] {
			return false
		}
	}
	return true
}

// firstNaN returns the index of the first NaN or infinity in v, or -1.
func firstNaN(v []float32) int {
	for i, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return i
		}
	}
	return -1
}

// topScores keeps the k best-scoring detections (order not kept).
func topScores(dets []vision.Detection, k int) []vision.Detection {
	nms(dets, 2) // sorts best first; a threshold above 1 drops nothing
	return dets[:k]
}

// inputBlob is the network input of the last forward (NCHW float32),
// valid until the next forward; nil on the XNNPACK engine, whose input
// buffer is reused by later steps. The converter's reference test feeds
// it to a numpy execution of the original graph.
func (d *DNN) inputBlob() []float32 {
	if d.net == nil {
		return nil
	}
	var p *C.float
	n := int(C.pn_net_input_blob(d.net, &p))
	if n <= 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), n)
}

// SetOpenCVThreads sets how many threads OpenCV's parallel loops use, for
// the whole process (cv::setNumThreads; 0 runs them on the calling thread),
// and returns the previous setting. A detector pool whose workers each run
// their own DNN sets 1, so that N workers use N cores rather than N × all.
func SetOpenCVThreads(n int) int {
	return int(C.pn_set_threads(C.int(n)))
}
