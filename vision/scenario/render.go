package scenario

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"gocv.io/x/gocv"
)

// noiseFrames is how many different noise fields are cycled through.
const noiseFrames = 8

// Renderer draws a scenario's frames as 8-bit gray pictures. Close frees
// its Mat.
type Renderer struct {
	s       Scenario
	bg      []byte
	sprites []sprite
	noise   [][]int8
	blur    gocv.Mat
}

// sprite is an object's texture and ellipse mask at pixel size.
type sprite struct {
	w, h int
	tex  []byte
	mask []bool
}

// NewRenderer prepares s for drawing over bg (CV_8UC1, resized to the
// scenario size if it is not).
func NewRenderer(s Scenario, bg gocv.Mat) (*Renderer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if bg.Empty() || bg.Type() != gocv.MatTypeCV8UC1 {
		return nil, fmt.Errorf("scenario: background must be a non-empty CV_8UC1 Mat")
	}
	r := &Renderer{s: s, blur: gocv.NewMat()}
	sized := gocv.NewMat()
	defer sized.Close()
	gocv.Resize(bg, &sized, image.Pt(s.Width, s.Height), 0, 0, gocv.InterpolationArea)
	r.bg = sized.ToBytes()
	rng := rand.New(rand.NewPCG(s.Seed, 1))
	for _, o := range s.Objects {
		r.sprites = append(r.sprites, newSprite(o, s.Width, s.Height, rng))
	}
	for i := 0; i < noiseFrames; i++ {
		n := make([]int8, s.Width*s.Height)
		for j := range n {
			n[j] = int8(math.Max(-127, math.Min(127, math.Round(rng.NormFloat64()*s.Noise))))
		}
		r.noise = append(r.noise, n)
	}
	return r, nil
}

func newSprite(o Object, fw, fh int, rng *rand.Rand) sprite {
	w := max(2, int(math.Round(o.W*float64(fw))))
	h := max(2, int(math.Round(o.H*float64(fh))))
	shade := o.Shade
	if shade == 0 {
		shade = 50
	}
	// Clothes-like texture: random blocks of 4×4 pixels around the shade.
	sp := sprite{w: w, h: h, tex: make([]byte, w*h), mask: make([]bool, w*h)}
	bw, bh := (w+3)/4, (h+3)/4
	blocks := make([]float64, bw*bh)
	for i := range blocks {
		blocks[i] = shade + rng.NormFloat64()*12
	}
	rx, ry := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)+0.5-rx)/rx, (float64(y)+0.5-ry)/ry
			sp.mask[y*w+x] = dx*dx+dy*dy <= 1
			sp.tex[y*w+x] = clamp(blocks[(y/4)*bw+x/4])
		}
	}
	return sp
}

func clamp(v float64) byte {
	return byte(math.Max(0, math.Min(255, math.Round(v))))
}

// Frame draws frame n (time n/FPS) into dst, which must hold
// Width×Height bytes.
func (r *Renderer) Frame(n int, dst []byte) error {
	s := r.s
	if len(dst) != s.Width*s.Height {
		return fmt.Errorf("scenario: frame buffer has %d bytes, want %d", len(dst), s.Width*s.Height)
	}
	t := float64(n) / s.FPS
	copy(dst, r.bg)
	for i, o := range s.Objects {
		p, ok := o.At(t)
		if !ok {
			continue
		}
		if o.Sway != 0 {
			if n%2 == 0 {
				p.X += o.Sway
			} else {
				p.X -= o.Sway
			}
		}
		r.draw(r.sprites[i], p.X, p.Y, dst)
	}
	gain, blur, covered := 1.0, 0.0, false
	for _, e := range s.Effects {
		if t < e.From || t >= e.To {
			continue
		}
		switch e.Kind {
		case EffectLight:
			f := 1.0
			if e.Ramp > 0 && t-e.From < e.Ramp {
				f = (t - e.From) / e.Ramp
			}
			gain *= 1 + (e.Amount-1)*f
		case EffectBlur:
			blur = math.Max(blur, e.Amount)
		case EffectCover:
			covered = true
		}
	}
	if gain != 1 {
		for i, v := range dst {
			dst[i] = clamp(float64(v) * gain)
		}
	}
	if blur > 0 {
		if err := r.blurInto(dst, blur); err != nil {
			return err
		}
	}
	if covered {
		for i := range dst {
			dst[i] = 4
		}
	}
	noise := r.noise[n%noiseFrames]
	for i, v := range dst {
		dst[i] = byte(max(0, min(255, int(v)+int(noise[i]))))
	}
	return nil
}

// draw pastes sp with its bottom-centre at (x, y) normalised, clipped to
// the frame.
func (r *Renderer) draw(sp sprite, x, y float64, dst []byte) {
	fw, fh := r.s.Width, r.s.Height
	left := int(math.Round(x*float64(fw) - float64(sp.w)/2))
	top := int(math.Round(y*float64(fh))) - sp.h
	for sy := 0; sy < sp.h; sy++ {
		py := top + sy
		if py < 0 || py >= fh {
			continue
		}
		for sx := 0; sx < sp.w; sx++ {
			px := left + sx
			if px < 0 || px >= fw || !sp.mask[sy*sp.w+sx] {
				continue
			}
			dst[py*fw+px] = sp.tex[sy*sp.w+sx]
		}
	}
}

func (r *Renderer) blurInto(dst []byte, sigma float64) error {
	m, err := gocv.NewMatFromBytes(r.s.Height, r.s.Width, gocv.MatTypeCV8UC1, dst)
	if err != nil {
		return err
	}
	defer m.Close()
	gocv.GaussianBlur(m, &r.blur, image.Pt(0, 0), sigma, 0, gocv.BorderReplicate)
	copy(dst, r.blur.ToBytes())
	return nil
}

// Close frees the renderer's Mat.
func (r *Renderer) Close() error { return r.blur.Close() }
