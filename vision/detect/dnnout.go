package detect

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pantau/pantau/vision"
)

// shape returns the last output's dimensions, dropping leading ones while
// more than two remain ([1, 1, N, 7] → [N, 7]; [1, N, 85] → [N, 85]).
func (d *DNN) shape() []int {
	var s [8]int
	start, nd := 0, int(d.nd)
	for nd-start > 2 && d.dims[start] == 1 {
		start++
	}
	for i := start; i < nd; i++ {
		s[i-start] = int(d.dims[i])
	}
	return s[:nd-start]
}

// decode turns the network's output into d.dets (before NMS).
func (d *DNN) decode(out []float32) error {
	sh := d.shape()
	nc := len(d.classes)
	format := d.cfg.Format
	if format == "" {
		var fits []string
		if len(sh) == 2 && sh[1] == 7 {
			fits = append(fits, FormatSSD)
		}
		if len(sh) == 2 && sh[1] == 5+nc {
			fits = append(fits, FormatYOLOv5)
		}
		if len(sh) == 2 && sh[0] == 4+nc {
			fits = append(fits, FormatYOLOv8)
		}
		switch len(fits) {
		case 0:
			return fmt.Errorf("%w: format: cannot tell from output shape %v with %d classes; set format", ErrBadOutput, d.outShape(), nc)
		case 2, 3:
			return fmt.Errorf("%w: format: output shape %v with %d classes could be %s; set format", ErrBadOutput, d.outShape(), nc, strings.Join(fits, " or "))
		}
		format = fits[0]
	}
	if len(sh) != 2 || len(out) != sh[0]*sh[1] {
		return fmt.Errorf("%w: output shape %v is not a %s output", ErrBadOutput, d.outShape(), format)
	}
	if i := firstNaN(out); i >= 0 {
		return fmt.Errorf("%w: output value %d is %v", ErrBadOutput, i, out[i])
	}
	inW, inH := float64(d.cfg.InputWidth), float64(d.cfg.InputHeight)
	switch format {
	case FormatYOLOv5:
		if sh[1] != 5+nc {
			return fmt.Errorf("%w: classes: the model outputs %d classes, the names have %d", ErrBadOutput, sh[1]-5, nc)
		}
		for i := 0; i < sh[0]; i++ {
			row := out[i*sh[1] : (i+1)*sh[1]]
			obj := float64(row[4])
			if obj < d.cfg.Confidence {
				continue
			}
			c, s := argmax(row[5:])
			d.add(c, obj*s, centreBox(row[0], row[1], row[2], row[3], inW, inH))
		}
	case FormatYOLOv8:
		if sh[0] != 4+nc {
			return fmt.Errorf("%w: classes: the model outputs %d classes, the names have %d", ErrBadOutput, sh[0]-4, nc)
		}
		n := sh[1]
		for i := 0; i < n; i++ {
			best, bs := -1, 0.0
			for c := 0; c < nc; c++ {
				if v := float64(out[(4+c)*n+i]); best < 0 || v > bs {
					best, bs = c, v
				}
			}
			d.add(best, bs, centreBox(out[i], out[n+i], out[2*n+i], out[3*n+i], inW, inH))
		}
	case FormatSSD:
		if sh[1] != 7 {
			return fmt.Errorf("%w: output shape %v is not an SSD output (N×7)", ErrBadOutput, d.outShape())
		}
		for i := 0; i < sh[0]; i++ {
			row := out[i*7 : i*7+7]
			if float64(row[2]) < d.cfg.Confidence {
				continue
			}
			c := int(row[1])
			if c < 0 || c >= nc {
				return fmt.Errorf("%w: classes: the model gave class index %d, the names have %d", ErrBadOutput, c, nc)
			}
			x1, y1, x2, y2 := float64(row[3]), float64(row[4]), float64(row[5]), float64(row[6])
			d.add(c, float64(row[2]), vision.Rect{X: x1, Y: y1, W: x2 - x1, H: y2 - y1})
		}
	}
	return nil
}

// add keeps a candidate that passes the confidence and class filters.
func (d *DNN) add(class int, score float64, box vision.Rect) {
	if score < d.cfg.Confidence || class < 0 || !d.keep[class] {
		return
	}
	box = clampRect(box)
	if box.W <= 0 || box.H <= 0 {
		return
	}
	d.dets = append(d.dets, vision.Detection{Box: box, Class: d.classes[class], Score: score})
}

func (d *DNN) outShape() []int {
	s := make([]int, d.nd)
	for i := range s {
		s[i] = int(d.dims[i])
	}
	return s
}

// centreBox converts a centre-size box in input pixels to a normalised box.
func centreBox(cx, cy, w, h float32, inW, inH float64) vision.Rect {
	return vision.Rect{X: (float64(cx) - float64(w)/2) / inW, Y: (float64(cy) - float64(h)/2) / inH,
		W: float64(w) / inW, H: float64(h) / inH}
}

func argmax(v []float32) (int, float64) {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best, float64(v[best])
}

// readClasses reads a names file: one class per line, blank lines and
// surrounding space ignored.
func readClasses(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dnn: classes_file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dnn: classes_file: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dnn: classes_file: %s has no class names", path)
	}
	return out, nil
}

// verifySHA256 checks that the file at path exists and has the given hex
// sha256.
func verifySHA256(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dnn: model: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("dnn: model: %w", err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(got, strings.TrimSpace(want)) {
		return fmt.Errorf("dnn: sha256: %s has sha256 %s, expected %s (wrong or damaged file?)", path, got, want)
	}
	return nil
}
