package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"io"
)

// processGIF keeps a GIF's frames byte for byte (re-encoding an animation
// would mean decoding every frame and re-quantising them) but drops its
// comments and application extensions (XMP, ICC), keeping only the
// NETSCAPE2.0/ANIMEXTS1.0 loop count. The preview is the first frame.
//
// Mastodon turns animated GIFs into videos and calls them "gifv"; Roost
// keeps them as GIFs, so they are "image" like any other.
func processGIF(out *output, src io.ReadSeeker, lim Limits) (*Result, error) {
	var width, height int
	var err error
	res := &Result{MediaType: "image/gif"}
	res.File, res.Size, err = out.write("", "gif", func(w io.Writer) error {
		var serr error
		width, height, serr = stripGIF(w, bufio.NewReader(src))
		return serr
	})
	if err != nil {
		return nil, err
	}
	res.Width, res.Height = width, height
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// gif.Decode decodes the first frame only: one byte a pixel.
	first, err := gif.Decode(bufio.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	canvas := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(canvas, first.Bounds(), first, first.Bounds().Min, draw.Src)
	return res, preview(out, res, canvas, lim, true)
}

var errBadGIF = fmt.Errorf("%w: malformed GIF", ErrInvalid)

// stripGIF copies a GIF block by block (GIF89a spec, §17–27), leaving out
// comment, and application extensions other than the loop count. It
// checks that every frame lies within the logical screen, as image/gif
// does, and returns the screen's size.
func stripGIF(w io.Writer, r *bufio.Reader) (width, height int, err error) {
	var hdr [13]byte // signature, version, logical screen descriptor
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, errBadGIF
	}
	width, height = int(binary.LittleEndian.Uint16(hdr[6:])), int(binary.LittleEndian.Uint16(hdr[8:]))
	if _, err := w.Write(hdr[:]); err != nil {
		return 0, 0, err
	}
	if hdr[10]&0x80 != 0 { // global colour table
		if err := copyN(w, r, 3<<(hdr[10]&7+1)); err != nil {
			return 0, 0, err
		}
	}
	frames := 0
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, 0, errBadGIF
		}
		switch b {
		case 0x3b: // trailer
			if frames == 0 {
				return 0, 0, errBadGIF
			}
			_, err := w.Write([]byte{b})
			return width, height, err
		case 0x2c: // image descriptor
			frames++
			if err := copyFrame(w, r, width, height); err != nil {
				return 0, 0, err
			}
		case 0x21: // extension
			if err := copyExtension(w, r); err != nil {
				return 0, 0, err
			}
		default:
			return 0, 0, errBadGIF
		}
	}
}

func copyFrame(w io.Writer, r *bufio.Reader, width, height int) error {
	var d [9]byte
	if _, err := io.ReadFull(r, d[:]); err != nil {
		return errBadGIF
	}
	le := binary.LittleEndian
	x, y := int(le.Uint16(d[0:])), int(le.Uint16(d[2:]))
	fw, fh := int(le.Uint16(d[4:])), int(le.Uint16(d[6:]))
	if x+fw > width || y+fh > height {
		return fmt.Errorf("%w: frame outside the image", ErrInvalid)
	}
	if _, err := w.Write([]byte{0x2c}); err != nil {
		return err
	}
	if _, err := w.Write(d[:]); err != nil {
		return err
	}
	if d[8]&0x80 != 0 { // local colour table
		if err := copyN(w, r, 3<<(d[8]&7+1)); err != nil {
			return err
		}
	}
	if err := copyN(w, r, 1); err != nil { // LZW minimum code size
		return err
	}
	return copySubBlocks(w, r)
}

func copyExtension(w io.Writer, r *bufio.Reader) error {
	label, err := r.ReadByte()
	if err != nil {
		return errBadGIF
	}
	keep := true
	switch label {
	case 0xfe: // comment
		keep = false
	case 0xff: // application: keep only the loop count
		id, err := r.Peek(12)
		if err != nil {
			return errBadGIF
		}
		keep = id[0] == 11 && (string(id[1:]) == "NETSCAPE2.0" || string(id[1:]) == "ANIMEXTS1.0")
	}
	if !keep {
		return copySubBlocks(io.Discard, r)
	}
	if _, err := w.Write([]byte{0x21, label}); err != nil {
		return err
	}
	return copySubBlocks(w, r)
}

// copySubBlocks copies data sub-blocks up to and including the empty
// block that ends them.
func copySubBlocks(w io.Writer, r *bufio.Reader) error {
	for {
		n, err := r.ReadByte()
		if err != nil {
			return errBadGIF
		}
		if _, err := w.Write([]byte{n}); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := copyN(w, r, int(n)); err != nil {
			return err
		}
	}
}

func copyN(w io.Writer, r io.Reader, n int) error {
	_, err := io.CopyN(w, r, int64(n))
	if errors.Is(err, io.EOF) {
		return errBadGIF
	}
	return err
}
