package media

import (
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"github.com/bbrks/go-blurhash"
	"golang.org/x/image/draw"
)

// Blurhash components, as Mastodon's client docs suggest for a 4:3-ish
// placeholder.
const (
	blurhashX  = 4
	blurhashY  = 3
	blurhashPx = 32 // the hash is computed from a thumbnail this big
)

// SmallSize returns the size of the preview of a w×h image: scaled to
// about small pixels with its aspect ratio kept, or unchanged if it is no
// bigger (Mastodon's "small" style, pixels: 230400). handlers reports
// meta.small with the same rule.
func SmallSize(w, h, small int) (int, int) {
	if px := w * h; small > 0 && px > small {
		s := math.Sqrt(float64(small) / float64(px))
		w, h = max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s)))
	}
	return w, h
}

// preview writes the preview of img (the upright original) and computes
// the blurhash. The original serves as its own preview when it is no
// bigger than the preview would be, except for a GIF, whose preview is
// its first frame as a still image.
func preview(out *output, res *Result, img image.Image, lim Limits, isGIF bool) error {
	b := img.Bounds()
	res.SmallWidth, res.SmallHeight = SmallSize(b.Dx(), b.Dy(), lim.SmallPixels)
	small := img
	if res.SmallWidth != b.Dx() || res.SmallHeight != b.Dy() {
		small = scale(img, res.SmallWidth, res.SmallHeight)
	}
	if small != img || isGIF {
		var err error
		if opaque(small) {
			res.Preview, _, err = out.write("-small", "jpg", func(w io.Writer) error {
				return jpeg.Encode(w, small, &jpeg.Options{Quality: jpegQuality})
			})
		} else { // keep transparency: a sticker on white looks wrong in dark mode
			res.Preview, _, err = out.write("-small", "png", func(w io.Writer) error { return png.Encode(w, small) })
		}
		if err != nil {
			return err
		}
	}
	tw, th := thumbSize(res.SmallWidth, res.SmallHeight)
	var err error
	res.Blurhash, err = blurhash.Encode(blurhashX, blurhashY, scale(small, tw, th))
	return err
}

func thumbSize(w, h int) (int, int) {
	if w <= blurhashPx && h <= blurhashPx {
		return w, h
	}
	if w >= h {
		return blurhashPx, max(1, h*blurhashPx/w)
	}
	return max(1, w*blurhashPx/h), blurhashPx
}

// scale returns src resized to w×h. CatmullRom keeps previews sharp, but
// its scratch buffer is w×(source height)×32 bytes, 88 MB for an 8K
// photo: a source more than twice the target is first halved down with
// ApproxBiLinear, which needs no scratch, to twice the target.
func scale(src image.Image, w, h int) *image.RGBA {
	sb := src.Bounds()
	if sb.Dx() > 2*w || sb.Dy() > 2*h {
		mid := image.NewRGBA(image.Rect(0, 0, min(sb.Dx(), 2*w), min(sb.Dy(), 2*h)))
		draw.ApproxBiLinear.Scale(mid, mid.Rect, src, sb, draw.Src, nil)
		src, sb = mid, mid.Rect
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, src, sb, draw.Src, nil)
	return dst
}

// opaque reports whether img has no transparent pixel.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return true
}
