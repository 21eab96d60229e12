package media

import (
	"image"
	"image/draw"
)

// orient turns img upright according to an EXIF orientation (1 to 8),
// since the EXIF block that told viewers to do so is stripped. The common
// types from the JPEG decoder are copied byte-wise; a full-resolution
// YCbCr image becomes 4:4:4 (3 bytes a pixel), which the JPEG encoder
// takes without conversion.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 { // the transposing ones swap the sides
		dw, dh = h, w
	}
	// dst maps a source pixel (x, y), relative to b.Min, to its place.
	dst := func(x, y int) (int, int) {
		switch o {
		case 2: // mirrored
			return w - 1 - x, y
		case 3: // rotated 180°
			return w - 1 - x, h - 1 - y
		case 4: // mirrored vertically
			return x, h - 1 - y
		case 5: // transposed
			return y, x
		case 6: // needs 90° clockwise
			return h - 1 - y, x
		case 7: // transversed
			return h - 1 - y, w - 1 - x
		default: // 8: needs 90° counter-clockwise
			return y, w - 1 - x
		}
	}
	switch src := img.(type) {
	case *image.YCbCr:
		out := image.NewYCbCr(image.Rect(0, 0, dw, dh), image.YCbCrSubsampleRatio444)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dx, dy := dst(x, y)
				yi, ci := src.YOffset(b.Min.X+x, b.Min.Y+y), src.COffset(b.Min.X+x, b.Min.Y+y)
				oi := dy*out.YStride + dx
				out.Y[oi], out.Cb[oi], out.Cr[oi] = src.Y[yi], src.Cb[ci], src.Cr[ci]
			}
		}
		return out
	case *image.Gray:
		out := image.NewGray(image.Rect(0, 0, dw, dh))
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				dx, dy := dst(x, y)
				out.Pix[dy*out.Stride+dx] = row[x]
			}
		}
		return out
	}
	// Anything else (CMYK JPEGs) is rare: go through RGBA.
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := dst(x, y)
			copy(out.Pix[dy*out.Stride+4*dx:][:4], rgba.Pix[y*rgba.Stride+4*x:][:4])
		}
	}
	return out
}
