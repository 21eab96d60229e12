package media

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"io"
)

// jpegHeader is what Roost takes from a JPEG's metadata segments. The
// EXIF orientation is applied to the pixels (the EXIF block itself, with
// its GPS position, camera serial and maker notes, is dropped). The ICC
// colour profile is kept: it says how to show the colours (phones write
// Display P3) and nothing about the person.
type jpegHeader struct {
	orientation int      // 1 to 8, EXIF tag 0x0112; 1 is upright
	icc         [][]byte // APP2 ICC_PROFILE segments, marker included
}

// maxICC bounds the colour profile kept; real ones are a few KiB.
const maxICC = 1 << 20

// readJPEGHeader reads the segments before the image data (up to SOS).
func readJPEGHeader(r *bufio.Reader) (jpegHeader, error) {
	h := jpegHeader{orientation: 1}
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil || soi != [2]byte{0xff, 0xd8} {
		return h, fmt.Errorf("no JPEG start marker")
	}
	seenExif, iccSize := false, 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			return h, err
		}
		if c != 0xff {
			return h, fmt.Errorf("JPEG marker expected, got %#x", c)
		}
		m, err := r.ReadByte()
		for err == nil && m == 0xff { // fill bytes
			m, err = r.ReadByte()
		}
		if err != nil {
			return h, err
		}
		switch {
		case m == 0xda || m == 0xd9: // start of scan, end of image
			return h, nil
		case m == 0x01 || 0xd0 <= m && m <= 0xd7: // no length
			continue
		}
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return h, err
		}
		n := int(binary.BigEndian.Uint16(l[:])) - 2
		if n < 0 {
			return h, fmt.Errorf("bad JPEG segment length")
		}
		if (m != 0xe1 || seenExif) && (m != 0xe2 || iccSize+n > maxICC) {
			if _, err := r.Discard(n); err != nil {
				return h, err
			}
			continue
		}
		seg := make([]byte, 4+n)
		copy(seg, []byte{0xff, m, l[0], l[1]})
		if _, err := io.ReadFull(r, seg[4:]); err != nil {
			return h, err
		}
		switch p := seg[4:]; {
		case m == 0xe1 && bytes.HasPrefix(p, []byte("Exif\x00\x00")):
			seenExif = true
			h.orientation = exifOrientation(p[6:])
		case m == 0xe2 && bytes.HasPrefix(p, []byte("ICC_PROFILE\x00")):
			h.icc = append(h.icc, seg)
			iccSize += n
		}
	}
}

// exifOrientation finds the Orientation tag (0x0112) in IFD0 of a TIFF
// structure (EXIF 2.32 §4.6.4); 1 when absent or malformed.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int64(bo.Uint32(t[4:]))
	if off+2 > int64(len(t)) {
		return 1
	}
	count := int64(bo.Uint16(t[off:]))
	for i := int64(0); i < count; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(t)) {
			break
		}
		// A SHORT of count 1 sits left-justified in the value field.
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

func processJPEG(out *output, src io.ReadSeeker, lim Limits) (*Result, error) {
	h, err := readJPEGHeader(bufio.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, err := jpeg.Decode(bufio.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	img = orient(img, h.orientation)
	b := img.Bounds()
	res := &Result{MediaType: "image/jpeg", Width: b.Dx(), Height: b.Dy()}
	res.File, res.Size, err = out.write("", "jpg", func(w io.Writer) error { return encodeJPEG(w, img, h.icc) })
	if err != nil {
		return nil, err
	}
	return res, preview(out, res, img, lim, false)
}

// encodeJPEG writes img as a JPEG carrying only the given segments (the
// colour profile) after its start marker.
func encodeJPEG(w io.Writer, img image.Image, segs [][]byte) error {
	if len(segs) == 0 {
		return jpeg.Encode(w, img, &jpeg.Options{Quality: jpegQuality})
	}
	if _, err := w.Write([]byte{0xff, 0xd8}); err != nil {
		return err
	}
	for _, s := range segs {
		if _, err := w.Write(s); err != nil {
			return err
		}
	}
	return jpeg.Encode(&skipWriter{w: w, skip: 2}, img, &jpeg.Options{Quality: jpegQuality})
}

// skipWriter drops the first skip bytes written (the encoder's own start
// marker, already written).
type skipWriter struct {
	w    io.Writer
	skip int
}

func (s *skipWriter) Write(p []byte) (int, error) {
	n := len(p)
	if s.skip > 0 {
		k := min(s.skip, len(p))
		s.skip -= k
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if _, err := s.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}
