package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var testLimits = Limits{MaxPixels: 33177600, SmallPixels: 230400}

func tiff(bo binary.ByteOrder, orientation uint16) []byte {
	var b bytes.Buffer
	if bo == binary.LittleEndian {
		b.WriteString("II")
	} else {
		b.WriteString("MM")
	}
	binary.Write(&b, bo, uint16(42))
	binary.Write(&b, bo, uint32(8))
	binary.Write(&b, bo, uint16(2))
	binary.Write(&b, bo, []uint16{0x010f, 2}) // Make, ASCII, 4 bytes inline
	binary.Write(&b, bo, uint32(4))
	b.WriteString("Cam\x00")
	binary.Write(&b, bo, []uint16{0x0112, 3})
	binary.Write(&b, bo, uint32(1))
	binary.Write(&b, bo, []uint16{orientation, 0})
	binary.Write(&b, bo, uint32(0))
	return b.Bytes()
}

func TestExifOrientation(t *testing.T) {
	tests := []struct {
		name string
		tiff []byte
		want int
	}{
		{"big-endian 6", tiff(binary.BigEndian, 6), 6},
		{"little-endian 8", tiff(binary.LittleEndian, 8), 8},
		{"out of range", tiff(binary.BigEndian, 9), 1},
		{"truncated", tiff(binary.BigEndian, 6)[:20], 1},
		{"offset past end", []byte("MM\x00\x2a\xff\xff\xff\xff"), 1},
		{"garbage", []byte("hello world"), 1},
		{"empty", nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := exifOrientation(tc.tiff); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// TestOrient checks every orientation on YCbCr, Gray and RGBA against
// where the EXIF spec puts the source's corners.
func TestOrient(t *testing.T) {
	const w, h = 4, 3
	// want[o] is where source pixel (x, y) lands.
	want := map[int]func(x, y int) (int, int){
		1: func(x, y int) (int, int) { return x, y },
		2: func(x, y int) (int, int) { return w - 1 - x, y },
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y int) (int, int) { return x, h - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return h - 1 - y, x },
		7: func(x, y int) (int, int) { return h - 1 - y, w - 1 - x },
		8: func(x, y int) (int, int) { return y, w - 1 - x },
	}
	val := func(x, y int) uint8 { return uint8(16*y + 4*x + 10) }
	gray := image.NewGray(image.Rect(0, 0, w, h))
	ycc := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio444)
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gray.SetGray(x, y, color.Gray{val(x, y)})
			ycc.Y[ycc.YOffset(x, y)], ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = val(x, y), 128, 128
			rgba.SetRGBA(x, y, color.RGBA{val(x, y), val(x, y), val(x, y), 255})
		}
	}
	for o, f := range want {
		for _, src := range []image.Image{gray, ycc, rgba} {
			out := orient(src, o)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					dx, dy := f(x, y)
					g := color.GrayModel.Convert(out.At(dx, dy)).(color.Gray).Y
					if d := int(g) - int(val(x, y)); d < -1 || d > 1 {
						t.Fatalf("orientation %d, %T: (%d,%d) → (%d,%d) = %d, want %d", o, src, x, y, dx, dy, g, val(x, y))
					}
				}
			}
		}
	}
}

func TestValidPath(t *testing.T) {
	name := "0123456789abcdef0123456789abcdef"
	for p, want := range map[string]bool{
		"2024/03/" + name + ".jpg":       true,
		"2024/03/" + name + "-small.png": true,
		"2024/03/" + name + ".gif":       true,
		"2024/03/" + name + ".webp":      false,
		"2024/3/" + name + ".jpg":        false,
		"../03/" + name + ".jpg":         false,
		"2024/03/../" + name + ".jpg":    false,
		"2024/03/.tmp-123":               false,
		"2024/03/" + name[:31] + ".jpg":  false,
		"2024/03/" + name + "X.jpg":      false,
		"2024/03":                        false,
		"":                               false,
	} {
		if got := ValidPath(p); got != want {
			t.Errorf("ValidPath(%q) = %v", p, got)
		}
	}
}

func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

func pngHeader(w, h uint32, depth, ctype byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, ctype, 0, 0, 0)
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

func TestProcessRefusesBombsFromTheHeader(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"100000² RGBA", pngHeader(100000, 100000, 8, 6), ErrTooManyPixels},
		{"overflowing", pngHeader(1<<31-1, 1<<31-1, 8, 6), ErrInvalid}, // image/png refuses it itself
		{"a strip", pngHeader(10000, 10, 8, 6), ErrAspectRatio},
		// 16-bit RGBA takes 8 bytes a pixel: 5000×5000 is within the
		// pixel limit but not the memory one.
		{"16-bit 5000²", pngHeader(5000, 5000, 16, 6), ErrTooManyPixels},
		{"gif screen", append([]byte("GIF89a\xff\xff\xff\xff\x00\x00\x00"), 0x3b), ErrTooManyPixels},
		{"unknown", []byte("BM not a bitmap we take"), ErrUnsupported},
		{"empty", nil, ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Process(context.Background(), dir, bytes.NewReader(tc.data), testLimits, time.Now())
			if !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
}

func TestProcessJPEGKeepsColourProfile(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 10, 10))
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	icc := append([]byte("ICC_PROFILE\x00\x01\x01"), bytes.Repeat([]byte("p"), 100)...)
	seg := append([]byte{0xff, 0xe2, 0, byte(len(icc) + 2)}, icc...)
	src := append(append(append([]byte{}, buf.Bytes()[:2]...), seg...), buf.Bytes()[2:]...)
	dir := t.TempDir()
	res, err := Process(context.Background(), dir, bytes.NewReader(src), testLimits, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if res.Preview != "" || res.SmallWidth != 10 || res.Blurhash == "" {
		t.Errorf("result %+v", res)
	}
	if !ValidPath(res.File) || filepath.Dir(res.File) != "2025/07" {
		t.Errorf("file %q", res.File)
	}
	out, _ := os.ReadFile(filepath.Join(dir, res.File))
	if !bytes.Contains(out, seg) {
		t.Error("colour profile dropped")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Error(err)
	}
}

func TestStripGIFRefusesMalformed(t *testing.T) {
	pal := color.Palette{color.Black, color.White}
	var buf bytes.Buffer
	gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 4, 4), pal), nil)
	good := buf.Bytes()
	for name, b := range map[string][]byte{
		"truncated":       good[:len(good)-3],
		"no trailer":      good[:len(good)-1],
		"bad block":       append(append([]byte{}, good[:len(good)-1]...), 0x99, 0x3b),
		"frame too large": frameTooLarge(good),
	} {
		_, err := Process(context.Background(), t.TempDir(), bytes.NewReader(b), testLimits, time.Now())
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// frameTooLarge widens the (only) frame of a 4×4 GIF past its screen.
func frameTooLarge(g []byte) []byte {
	b := append([]byte{}, g...)
	i := bytes.IndexByte(b[13+6:], 0x2c) + 13 + 6 // after header and a 2-colour table
	binary.LittleEndian.PutUint16(b[i+5:], 400)
	return b
}

func TestProcessWebPWithAlphaBecomesPNG(t *testing.T) {
	// Covered end to end in handlers; here the choice of format.
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	dir := t.TempDir()
	res, err := finish(&output{dir: dir, now: time.Now()}, img, "png", testLimits)
	if err != nil || res.MediaType != "image/png" {
		t.Fatalf("%+v %v", res, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, res.File))
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Error(err)
	}
}

func TestProcessWaitsForTheDecodeSlot(t *testing.T) {
	decodeSlot <- struct{}{}
	defer func() { <-decodeSlot }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2)))
	_, err := Process(ctx, t.TempDir(), bytes.NewReader(buf.Bytes()), testLimits, time.Now())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v", err)
	}
}

func TestSmallSize(t *testing.T) {
	for _, tc := range []struct{ w, h, ww, wh int }{
		{640, 360, 640, 360},
		{100, 50, 100, 50},
		{1280, 720, 640, 360},
		{7680, 4320, 640, 360},
		{100000, 4, 75895, 3},
		{5000, 100, 3394, 68},
	} {
		if w, h := SmallSize(tc.w, tc.h, 230400); w != tc.ww || h != tc.wh {
			t.Errorf("SmallSize(%d, %d) = %d, %d", tc.w, tc.h, w, h)
		}
	}
}
