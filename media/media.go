package media

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"time"

	"golang.org/x/image/webp"
)

// Errors a caller branches on: each means the upload is refused (422), not
// that the server failed.
var (
	// ErrUnsupported is a file that is not a JPEG, PNG, GIF or WebP image.
	ErrUnsupported = errors.New("unsupported file type")
	// ErrTooManyPixels is an image whose header claims more pixels than
	// Limits.MaxPixels allows; it is refused before any decoding.
	ErrTooManyPixels = errors.New("image has too many pixels")
	// ErrAspectRatio is an image more than maxAspect times longer than
	// wide (or wider than long): its preview, scaled to a fixed area,
	// would be a strip millions of pixels long.
	ErrAspectRatio = errors.New("image aspect ratio is too extreme")
	// ErrInvalid is an image that claims a supported format but does not
	// decode.
	ErrInvalid = errors.New("image could not be processed")
)

// Limits bound what Process accepts.
type Limits struct {
	// MaxPixels is the largest width×height accepted.
	MaxPixels int
	// SmallPixels is the pixel count of the preview: a larger image is
	// scaled down to about this many pixels, keeping its aspect ratio
	// (Mastodon's "small" style, 640×360 = 230400).
	SmallPixels int
}

// Result describes the files Process wrote.
type Result struct {
	MediaType               string // MIME type of File
	File                    string // path of the original, relative to the media directory
	Preview                 string // path of the preview, "" when File serves as its own preview
	Width                   int    // of File, after turning it upright
	Height                  int
	SmallWidth, SmallHeight int // of the preview (or File when Preview is "")
	Blurhash                string
	Size                    int64 // bytes of File
}

// Paths returns the files of r, for removing them.
func (r *Result) Paths() []string {
	if r.Preview == "" {
		return []string{r.File}
	}
	return []string{r.File, r.Preview}
}

// decodeSlot lets one image be decoded at a time in this process. It is
// the one piece of package state: the memory it guards belongs to the
// process, however many servers the process runs (tests run several), and
// it carries no configuration.
var decodeSlot = make(chan struct{}, 1)

// Process checks the image in src, and writes its cleaned original and
// preview under dir/<yyyy>/<mm>/ for the month of now. The pixel limit is
// checked on the header before anything is decoded, and only one call
// decodes at a time: the others wait (or give up when ctx ends). On error
// nothing is left in dir.
func Process(ctx context.Context, dir string, src io.ReadSeeker, lim Limits, now time.Time) (*Result, error) {
	var head [512]byte
	n, err := io.ReadFull(src, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, ErrUnsupported
	}
	format := sniff(head[:n])
	if format == "" {
		return nil, ErrUnsupported
	}
	if err := checkConfig(src, format, lim); err != nil {
		return nil, err
	}
	select {
	case decodeSlot <- struct{}{}:
		defer func() { <-decodeSlot }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := &output{dir: dir, now: now}
	res, err := process(out, src, format, lim)
	if err != nil {
		out.discard()
		return nil, err
	}
	return res, nil
}

// sniff names the image format of a file from its first bytes, ignoring
// whatever type and name the client claimed (Mona sends
// application/octet-stream and no filename).
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "gif"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// checkConfig reads only the header of src and refuses an image whose
// decoded pixels would not fit the limits: a 100000×100000 PNG is a few
// hundred bytes on the wire and 40 GB in memory.
func checkConfig(src io.ReadSeeker, format string, lim Limits) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(src)
	var cfg image.Config
	var err error
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(r)
	case "png":
		cfg, err = png.DecodeConfig(r)
	case "gif":
		cfg, err = gif.DecodeConfig(r)
	case "webp":
		cfg, err = webp.DecodeConfig(r)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return ErrInvalid
	}
	// In int64, so that a hostile header cannot overflow the product.
	px := int64(cfg.Width) * int64(cfg.Height)
	if px > int64(lim.MaxPixels) {
		return ErrTooManyPixels
	}
	if long, short := max(cfg.Width, cfg.Height), min(cfg.Width, cfg.Height); long > maxAspect*short {
		return ErrAspectRatio
	}
	// 16-bit PNGs take 8 bytes a pixel: allow as many bytes as an 8-bit
	// RGBA image at the pixel limit would take.
	if bpp := bytesPerPixel(cfg); px*bpp > int64(lim.MaxPixels)*4 {
		return ErrTooManyPixels
	}
	return nil
}

func bytesPerPixel(cfg image.Config) int64 {
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		return 4 // decoded paletted, but previews are RGBA
	}
	switch cfg.ColorModel {
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	return 4
}

func process(out *output, src io.ReadSeeker, format string, lim Limits) (*Result, error) {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	switch format {
	case "jpeg":
		return processJPEG(out, src, lim)
	case "png":
		img, err := png.Decode(bufio.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return finish(out, img, "png", lim)
	case "gif":
		return processGIF(out, src, lim)
	case "webp":
		return processWebP(out, src, lim)
	}
	return nil, ErrUnsupported
}

// processWebP re-encodes a WebP image, since there is no pure-Go WebP
// encoder: as PNG when it has transparency or was lossless (a screenshot
// or a drawing), as JPEG otherwise (a photo).
func processWebP(out *output, src io.Reader, lim Limits) (*Result, error) {
	img, err := webp.Decode(bufio.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	format := "jpeg"
	if _, lossless := img.(*image.NRGBA); lossless || !opaque(img) {
		format = "png"
	}
	return finish(out, img, format, lim)
}

// finish writes img as the original in format, then its preview.
func finish(out *output, img image.Image, format string, lim Limits) (*Result, error) {
	b := img.Bounds()
	res := &Result{Width: b.Dx(), Height: b.Dy()}
	var err error
	if format == "png" {
		res.MediaType = "image/png"
		res.File, res.Size, err = out.write("", "png", func(w io.Writer) error { return png.Encode(w, img) })
	} else {
		res.MediaType = "image/jpeg"
		res.File, res.Size, err = out.write("", "jpg", func(w io.Writer) error {
			return jpeg.Encode(w, img, &jpeg.Options{Quality: jpegQuality})
		})
	}
	if err != nil {
		return nil, err
	}
	return res, preview(out, res, img, lim, false)
}

// maxAspect bounds the ratio of an image's sides; a long scrolling
// screenshot is about 1:20.
const maxAspect = 50

// jpegQuality is used for every JPEG Roost writes.
const jpegQuality = 85
