package handlers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/webp"
)

// Secrets planted in uploads' metadata, which must not survive.
const (
	secretGPS     = "GPS-51.5074N-0.1278W"
	secretMaker   = "MAKERNOTE-SERIAL-0042"
	secretComment = "COMMENT-secret"
	secretText    = "Author-secret-name"
)

// newMediaEnv is a test server with a media directory.
func newMediaEnv(t *testing.T) *testEnv {
	e := newTestEnv(t)
	e.s.cfg.MediaDir = filepath.Join(t.TempDir(), "media")
	return e
}

type filePart struct {
	data     []byte
	filename string // "" sends no filename
	ctype    string // "" sends none
}

// upload sends a multipart POST with a file part and fields.
func (e *testEnv) upload(path, tok string, f *filePart, fields map[string]string) (*http.Response, map[string]any) {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if f != nil {
		h := textproto.MIMEHeader{}
		cd := `form-data; name="file"`
		if f.filename != "" {
			cd += `; filename="` + f.filename + `"`
		}
		h.Set("Content-Disposition", cd)
		if f.ctype != "" {
			h.Set("Content-Type", f.ctype)
		}
		pw, _ := mw.CreatePart(h)
		pw.Write(f.data)
	}
	mw.Close()
	resp, s := e.oaDo("POST", path, mw.FormDataContentType(), &body, oaBearer(tok))
	return resp, oaDecode(e.t, s)
}

// mediaFile reads the stored file behind a media URL.
func (e *testEnv) mediaFile(u any) []byte {
	e.t.Helper()
	s, _ := u.(string)
	rel, ok := strings.CutPrefix(s, testBase+"/media/")
	if !ok {
		e.t.Fatalf("media url %q", s)
	}
	b, err := os.ReadFile(filepath.Join(e.s.cfg.MediaDir, filepath.FromSlash(rel)))
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// testJPEG is a w×h JPEG, red on the left half and blue on the right,
// with an EXIF block (orientation, GPS, maker note) and a comment.
func testJPEG(t *testing.T, w, h, orientation int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return insertJPEGSegments(buf.Bytes(), exifSegment(orientation), comSegment(secretComment))
}

func insertJPEGSegments(j []byte, segs ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

// exifSegment is an APP1 Exif segment (big-endian TIFF) with IFD0
// holding Orientation, a MakerNote-like ASCII value and a GPS IFD.
func exifSegment(orientation int) []byte {
	be := binary.BigEndian
	var t bytes.Buffer
	t.WriteString("MM\x00\x2a")
	binary.Write(&t, be, uint32(8))
	// IFD0: 3 entries, then next-IFD 0; data area after it.
	maker := secretMaker + "\x00"
	gpsOff := uint32(8 + 2 + 3*12 + 4 + len(maker))
	binary.Write(&t, be, uint16(3))
	binary.Write(&t, be, []uint16{0x0112, 3})
	binary.Write(&t, be, uint32(1))
	binary.Write(&t, be, []uint16{uint16(orientation), 0})
	binary.Write(&t, be, []uint16{0x927c, 2}) // MakerNote as ASCII
	binary.Write(&t, be, uint32(len(maker)))
	binary.Write(&t, be, uint32(8+2+3*12+4))
	binary.Write(&t, be, []uint16{0x8825, 4}) // GPS IFD pointer
	binary.Write(&t, be, uint32(1))
	binary.Write(&t, be, gpsOff)
	binary.Write(&t, be, uint32(0))
	t.WriteString(maker)
	// GPS IFD: one ASCII entry (a made-up tag holding the position).
	gps := secretGPS + "\x00"
	binary.Write(&t, be, uint16(1))
	binary.Write(&t, be, []uint16{0x001b, 2})
	binary.Write(&t, be, uint32(len(gps)))
	binary.Write(&t, be, gpsOff+2+12+4)
	binary.Write(&t, be, uint32(0))
	t.WriteString(gps)
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	return segment(0xe1, payload)
}

func comSegment(s string) []byte { return segment(0xfe, []byte(s)) }

func segment(marker byte, payload []byte) []byte {
	out := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(out[2:], uint16(len(payload)+2))
	return append(out, payload...)
}

// testPNG is a w×h PNG with a tEXt chunk after IHDR.
func testPNG(t *testing.T, w, h int, alpha uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = alpha
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	text := pngChunk("tEXt", []byte("Author\x00"+secretText))
	return append(append(append([]byte{}, b[:ihdrEnd]...), text...), b[ihdrEnd:]...)
}

func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// pngBomb is a PNG signature and an IHDR claiming w×h RGBA, and no
// pixels at all.
func pngBomb(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// testGIF is a two-frame looping GIF with a comment and an XMP
// application extension.
func testGIF(t *testing.T) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}}
	g := &gif.GIF{LoopCount: 0}
	for i := 0; i < 2; i++ {
		f := image.NewPaletted(image.Rect(0, 0, 30, 20), pal)
		for j := range f.Pix {
			f.Pix[j] = uint8(1 + i)
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	extra := []byte{0x21, 0xfe, byte(len(secretComment))}
	extra = append(extra, secretComment...)
	extra = append(extra, 0)
	xmp := "<x:xmpmeta>" + secretText + "</x:xmpmeta>"
	extra = append(extra, 0x21, 0xff, 11)
	extra = append(extra, "XMP DataXMP"...)
	extra = append(extra, byte(len(xmp)))
	extra = append(extra, xmp...)
	extra = append(extra, 0)
	return append(append(append([]byte{}, b[:len(b)-1]...), extra...), 0x3b)
}

// testWebP is a lossless WebP of one colour: VP8L with every prefix code
// a "simple" one-symbol code, so the pixels take no bits at all.
func testWebP(w, h int, c color.NRGBA) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(1, 1) // alpha used
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // 8-bit symbol
		bw.write(uint32(sym), 8)
	}
	data := bw.bytes()
	chunk := append([]byte("VP8L"), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	chunk = append(chunk, data...)
	if len(data)%2 == 1 {
		chunk = append(chunk, 0)
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(chunk)))...)
	out = append(out, "WEBP"...)
	return append(out, chunk...)
}

type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint
}

func (b *bitWriter) write(v uint32, n uint) {
	b.acc |= uint64(v) << b.nacc
	b.nacc += n
	for b.nacc >= 8 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.nacc -= 8
	}
}

func (b *bitWriter) bytes() []byte {
	if b.nacc > 0 {
		return append(b.buf, byte(b.acc))
	}
	return b.buf
}

func assertNoSecrets(t *testing.T, b []byte, what string) {
	t.Helper()
	for _, s := range []string{secretGPS, secretMaker, secretComment, secretText, "Exif", "tEXt", "XMP"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s still contains %q", what, s)
		}
	}
}

func meta(t *testing.T, m map[string]any, which string) (w, h int) {
	t.Helper()
	mm, _ := m["meta"].(map[string]any)
	v, _ := mm[which].(map[string]any)
	if v == nil {
		t.Fatalf("no meta.%s in %v", which, m)
	}
	if v["size"] != fmt.Sprintf("%vx%v", v["width"], v["height"]) || v["aspect"] == nil {
		t.Errorf("meta.%s = %v", which, v)
	}
	return int(v["width"].(float64)), int(v["height"].(float64))
}

func TestUploadJPEGStripsEXIFAndRotates(t *testing.T) {
	e := newMediaEnv(t)
	tok := e.oauthToken("write:media read")
	// 1200×800 landscape pixels, EXIF orientation 6: a portrait photo.
	src := testJPEG(t, 1200, 800, 6)
	resp, m := e.upload("/api/v2/media", tok, &filePart{data: src, filename: "IMG_0001.JPG", ctype: "image/jpeg"},
		map[string]string{"description": "A cat", "focus": "0.5,-0.25"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, m)
	}
	if m["type"] != "image" || m["description"] != "A cat" || m["blurhash"] == nil || m["blurhash"] == "" {
		t.Errorf("attachment %v", m)
	}
	if w, h := meta(t, m, "original"); w != 800 || h != 1200 {
		t.Errorf("original %dx%d, want 800x1200 (rotated)", w, h)
	}
	sw, sh := meta(t, m, "small")
	if sw*sh > mediaSmallPixels*101/100 || sw >= sh {
		t.Errorf("small %dx%d", sw, sh)
	}
	if f := m["meta"].(map[string]any)["focus"].(map[string]any); f["x"] != 0.5 || f["y"] != -0.25 {
		t.Errorf("focus %v", f)
	}
	stored := e.mediaFile(m["url"])
	assertNoSecrets(t, stored, "stored JPEG")
	img, err := jpeg.Decode(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	// Turned 90° clockwise: the red left half is now the top half.
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 1200 {
		t.Fatalf("stored %v", b)
	}
	if r, _, bl, _ := img.At(400, 100).RGBA(); r < bl {
		t.Errorf("top is not red")
	}
	if r, _, bl, _ := img.At(400, 1100).RGBA(); r > bl {
		t.Errorf("bottom is not blue")
	}
	prev := e.mediaFile(m["preview_url"])
	pimg, err := jpeg.Decode(bytes.NewReader(prev))
	if err != nil {
		t.Fatal(err)
	}
	if b := pimg.Bounds(); b.Dx() != sw || b.Dy() != sh {
		t.Errorf("preview %v, meta.small %dx%d", b, sw, sh)
	}
	assertNoSecrets(t, prev, "preview")
}

func TestUploadFormats(t *testing.T) {
	e := newMediaEnv(t)
	tok := e.oauthToken("write")
	tests := []struct {
		name     string
		part     *filePart
		wantType string // of the stored file
		w, h     int
	}{
		{"png with text", &filePart{data: testPNG(t, 50, 40, 255), filename: "a.png", ctype: "image/png"}, "image/png", 50, 40},
		{"gif", &filePart{data: testGIF(t), filename: "a.gif", ctype: "image/gif"}, "image/gif", 30, 20},
		{"webp lossless", &filePart{data: testWebP(16, 12, color.NRGBA{10, 200, 30, 255}), filename: "a.webp", ctype: "image/webp"}, "image/png", 16, 12},
		{"octet-stream, no filename", &filePart{data: testJPEG(t, 64, 48, 1), ctype: "application/octet-stream"}, "image/jpeg", 64, 48},
		{"no type, no filename", &filePart{data: testPNG(t, 8, 8, 128)}, "image/png", 8, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, m := e.upload("/api/v1/media", tok, tc.part, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %v", resp.StatusCode, m)
			}
			if w, h := meta(t, m, "original"); w != tc.w || h != tc.h {
				t.Errorf("original %dx%d", w, h)
			}
			meta(t, m, "small")
			if bh, _ := m["blurhash"].(string); len(bh) < 6 {
				t.Errorf("blurhash %q", bh)
			}
			stored := e.mediaFile(m["url"])
			assertNoSecrets(t, stored, "stored file")
			if got := http.DetectContentType(stored); got != tc.wantType {
				t.Errorf("stored %s, want %s", got, tc.wantType)
			}
			if tc.wantType == "image/gif" {
				g, err := gif.DecodeAll(bytes.NewReader(stored))
				if err != nil || len(g.Image) != 2 || g.LoopCount != 0 {
					t.Errorf("gif: %v, %d frames, loop %d", err, len(g.Image), g.LoopCount)
				}
				if !bytes.Contains(stored, []byte("NETSCAPE2.0")) {
					t.Error("loop extension dropped")
				}
			}
		})
	}
}

func TestWebPFixtureDecodes(t *testing.T) {
	img, err := webp.Decode(bytes.NewReader(testWebP(3, 2, color.NRGBA{1, 2, 3, 255})))
	if err != nil {
		t.Fatal(err)
	}
	if c := img.At(2, 1).(color.NRGBA); c != (color.NRGBA{1, 2, 3, 255}) {
		t.Errorf("pixel %v", c)
	}
}

func TestUploadRefused(t *testing.T) {
	e := newMediaEnv(t)
	tok := e.oauthToken("write:media")
	big := append(testJPEG(t, 8, 8, 1), make([]byte, limitImageSize)...)
	tests := []struct {
		name string
		part *filePart
		want int
		msg  string
	}{
		{"text", &filePart{data: []byte("hello, this is not an image"), filename: "a.txt", ctype: "text/plain"}, 422, "content type"},
		{"pdf named jpg", &filePart{data: []byte("%PDF-1.4\n..."), filename: "a.jpg", ctype: "image/jpeg"}, 422, "content type"},
		{"pixel bomb", &filePart{data: pngBomb(100000, 100000), ctype: "image/png"}, 422, "pixels"},
		{"too large", &filePart{data: big, ctype: "image/jpeg"}, 422, "size"},
		{"broken jpeg", &filePart{data: testJPEG(t, 64, 64, 1)[:300], ctype: "image/jpeg"}, 422, "processed"},
		{"no file", nil, 422, "blank"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, m := e.upload("/api/v1/media", tok, tc.part, nil)
			msg, _ := m["error"].(string)
			if resp.StatusCode != tc.want || !strings.Contains(msg, tc.msg) {
				t.Errorf("status %d %v, want %d %q", resp.StatusCode, m, tc.want, tc.msg)
			}
		})
	}
	// Nothing refused was kept: only the (empty) month directories may
	// exist, no files, no spooled uploads.
	filepath.WalkDir(e.s.cfg.MediaDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

func TestUploadAuth(t *testing.T) {
	e := newMediaEnv(t)
	part := &filePart{data: testPNG(t, 4, 4, 255)}
	if resp, _ := e.upload("/api/v1/media", e.oauthToken("read"), part, nil); resp.StatusCode != 403 {
		t.Errorf("read token: %d", resp.StatusCode)
	}
	if resp, _ := e.upload("/api/v1/media", "nope", part, nil); resp.StatusCode != 401 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
}

func TestMediaUpdateServeAndAttach(t *testing.T) {
	e := newMediaEnv(t)
	tok := e.oauthToken("read write")
	resp, m := e.upload("/api/v1/media", tok, &filePart{data: testJPEG(t, 900, 600, 1), ctype: "application/octet-stream"}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, m)
	}
	id := m["id"].(string)
	if m["description"] != nil {
		t.Errorf("description %v, want null", m["description"])
	}

	// PUT description and focus, as JSON.
	resp, body := e.oaDo("PUT", "/api/v1/media/"+id, "application/json",
		strings.NewReader(`{"description":"Two halves","focus":"-0.5,0.75"}`), oaBearer(tok))
	put := oaDecode(t, body)
	if resp.StatusCode != 200 || put["description"] != "Two halves" {
		t.Fatalf("put: %d %v", resp.StatusCode, put)
	}
	resp, body = e.oaDo("GET", "/api/v1/media/"+id, "", nil, oaBearer(tok))
	got := oaDecode(t, body)
	if f := got["meta"].(map[string]any)["focus"].(map[string]any); resp.StatusCode != 200 || f["x"] != -0.5 || f["y"] != 0.75 {
		t.Errorf("get: %d %v", resp.StatusCode, got)
	}
	resp, body = e.oaDo("PUT", "/api/v1/media/"+id, "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"focus": {"left"}}.Encode()), oaBearer(tok))
	if resp.StatusCode != 422 {
		t.Errorf("bad focus: %d %s", resp.StatusCode, body)
	}

	// The files are served, with long caching.
	path := strings.TrimPrefix(m["url"].(string), testBase)
	fresp, fbody := e.get(path, "")
	if fresp.StatusCode != 200 || fresp.Header.Get("Content-Type") != "image/jpeg" ||
		!strings.Contains(fresp.Header.Get("Cache-Control"), "immutable") || fbody != string(e.mediaFile(m["url"])) {
		t.Errorf("GET %s: %d %v", path, fresp.StatusCode, fresp.Header)
	}
	dir := path[:strings.LastIndex(path, "/")+1]
	for _, p := range []string{dir, dir + "..%2f..%2fmedia.db", "/media/..%2f..%2f..%2fetc/passwd/x", dir + ".upload-1",
		"/media/2020/01/" + strings.Repeat("a", 32) + ".jpg", dir + "x.txt", "/media/%2e%2e/%2e%2e/x"} {
		if resp, _ := e.get(p, ""); resp.StatusCode == 200 {
			t.Errorf("GET %s: 200", p)
		}
	}

	// Attach it to a status.
	resp, body = e.oaPostForm("/api/v1/statuses", url.Values{"status": {"Look"}, "media_ids[]": {id}}, oaBearer(tok))
	st := oaDecode(t, body)
	if resp.StatusCode != 200 {
		t.Fatalf("post status: %d %v", resp.StatusCode, st)
	}
	atts, _ := st["media_attachments"].([]any)
	if len(atts) != 1 || atts[0].(map[string]any)["id"] != id || atts[0].(map[string]any)["description"] != "Two halves" {
		t.Errorf("media_attachments %v", st["media_attachments"])
	}
	// Attached, it is no longer an upload to change (Mastodon: 404).
	if resp, _ := e.oaDo("GET", "/api/v1/media/"+id, "", nil, oaBearer(tok)); resp.StatusCode != 404 {
		t.Errorf("get attached: %d", resp.StatusCode)
	}
	if resp, _ := e.oaDo("PUT", "/api/v1/media/"+id, "application/json", strings.NewReader(`{"description":"x"}`), oaBearer(tok)); resp.StatusCode != 404 {
		t.Errorf("put attached: %d", resp.StatusCode)
	}
}

func TestMediaDeleteAndCleanup(t *testing.T) {
	e := newMediaEnv(t)
	tok := e.oauthToken("write")
	_, m := e.upload("/api/v1/media", tok, &filePart{data: testPNG(t, 700, 500, 255)}, nil)
	e.mediaFile(m["url"])
	resp, body := e.oaDo("DELETE", "/api/v1/media/"+m["id"].(string), "", nil, oaBearer(tok))
	if resp.StatusCode != 200 || body != "{}" {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.get(strings.TrimPrefix(m["url"].(string), testBase), ""); resp.StatusCode != 404 {
		t.Errorf("deleted file served: %d", resp.StatusCode)
	}

	_, m = e.upload("/api/v1/media", tok, &filePart{data: testPNG(t, 700, 500, 255)}, nil)
	n, err := e.s.RemoveUnattachedMedia(t.Context(), time.Now().Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("cleanup: %d %v", n, err)
	}
	for _, u := range []any{m["url"], m["preview_url"]} {
		rel := strings.TrimPrefix(u.(string), testBase+"/media/")
		if _, err := os.Stat(filepath.Join(e.s.cfg.MediaDir, rel)); !os.IsNotExist(err) {
			t.Errorf("%s not removed: %v", rel, err)
		}
	}
}

func TestMediaRoutesRegister(t *testing.T) {
	// The stdlib mux panics on conflicting patterns; building the handler
	// is the test.
	e := newMediaEnv(t)
	resp, _ := e.get("/media/2024/01/"+strings.Repeat("0", 32)+".png", "")
	if resp.StatusCode != 404 {
		t.Errorf("missing file: %d", resp.StatusCode)
	}
}

// TestAvatarUpload: update_credentials with an avatar stores it like any
// media (metadata stripped) and the actor shows it.
func TestAvatarUpload(t *testing.T) {
	e := newMediaEnv(t)
	tok := e.oauthToken("read write")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("display_name", "Alice with a face")
	pw, _ := mw.CreateFormFile("avatar", "me.png")
	pw.Write(testPNG(t, 64, 64, 255))
	mw.Close()
	resp, s := e.oaDo("PATCH", "/api/v1/accounts/update_credentials", mw.FormDataContentType(), &body, oaBearer(tok))
	if resp.StatusCode != 200 {
		t.Fatalf("update_credentials: %d %s", resp.StatusCode, s)
	}
	acct := oaDecode(t, s)
	avatar, _ := acct["avatar"].(string)
	if !strings.HasPrefix(avatar, testBase+"/media/") || acct["display_name"] != "Alice with a face" {
		t.Fatalf("account after upload: avatar %q name %v", avatar, acct["display_name"])
	}
	if len(e.mediaFile(avatar)) == 0 {
		t.Error("the avatar file is empty")
	}
	actor := e.getJSON("/users/alice", asJSON, 200, asJSON)
	if icon := actor["icon"].(map[string]any); icon["url"] != avatar {
		t.Errorf("actor icon = %v, want %s", icon["url"], avatar)
	}
}
