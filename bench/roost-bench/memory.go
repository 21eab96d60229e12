package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// figMemory reports the resident set at idle, during the inbox load, with
// 50 open streaming connections, and the peak around a ~15 MB upload.
func (b *bench) figMemory(ctx context.Context) error {
	in, err := b.newInstance(ctx, "memory")
	if err != nil {
		return err
	}
	srv, err := in.start()
	if err != nil {
		return err
	}
	defer srv.kill()
	time.Sleep(5 * time.Second)
	line("rss_idle_mb", procStatusMB(srv.pid, "VmRSS"), fmt.Sprintf("5 s after start, empty data file: %.1f MB private, %.1f MB the binary's code and data mapped from the page cache",
		procStatusMB(srv.pid, "RssAnon"), procStatusMB(srv.pid, "RssFile")))

	const streams = 50
	var conns []*websocket.Conn
	for range streams {
		c, _, err := websocket.Dial(ctx, "ws://"+in.addr+"/api/v1/streaming?stream=user&access_token="+in.token, nil)
		if err != nil {
			return fmt.Errorf("streaming: %w", err)
		}
		conns = append(conns, c)
	}
	time.Sleep(2 * time.Second)
	line("rss_50_streams_mb", procStatusMB(srv.pid, "VmRSS"), "50 WebSocket user streams open")
	for _, c := range conns {
		c.CloseNow()
	}

	// The largest picture Roost accepts (16 MiB, as Mastodon), and one of
	// 20 MB, which it refuses: neither may take memory without bound.
	for _, size := range []int{15 << 20, 22e6} {
		img, err := bigJPEG(size)
		if err != nil {
			return err
		}
		hwm0 := procStatusMB(srv.pid, "VmHWM")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "big.jpg")
		fw.Write(img)
		mw.Close()
		code, resp, err := srv.app(in).do("POST", "/api/v2/media", mw.FormDataContentType(), &body)
		if err != nil {
			return err
		}
		name := "rss_upload_peak_mb"
		switch {
		case size > 16<<20 && (code == http.StatusRequestEntityTooLarge || code == http.StatusUnprocessableEntity):
			name = "rss_upload_refused_peak_mb"
		case code != http.StatusOK && code != http.StatusAccepted:
			return fmt.Errorf("POST /api/v2/media (%d bytes): %d %.200s", len(img), code, resp)
		}
		time.Sleep(2 * time.Second) // v2 may process after answering 202
		hwm := procStatusMB(srv.pid, "VmHWM")
		line(name, hwm, fmt.Sprintf("VmHWM after a %.1f MB JPEG upload answered %d (+%.1f MB over the high-water mark before it)",
			float64(len(img))/1e6, code, hwm-hwm0))
	}
	if err := srv.stop(); err != nil {
		return err
	}

	r, err := b.runInbox(ctx)
	if err != nil {
		return err
	}
	line("rss_inbox_peak_mb", r.rssPeakMB, "largest VmRSS sampled every 100 ms during the inbox load")
	return nil
}

// bigJPEG encodes noise at quality 100, sized so that the file is a little
// under limit bytes (Roost accepts 16 MiB).
func bigJPEG(limit int) ([]byte, error) {
	rng := rand.New(rand.NewSource(1))
	enc := func(w, h int) ([]byte, error) {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		rng.Read(img.Pix)
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 255
		}
		var buf bytes.Buffer
		err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
		return buf.Bytes(), err
	}
	w, h := 1000, 750
	for range 4 {
		b, err := enc(w, h)
		if err != nil {
			return nil, err
		}
		if len(b) <= limit && len(b) > limit*9/10 {
			return b, nil
		}
		// Size grows with the pixel count: scale both sides.
		f := float64(limit) * 0.95 / float64(len(b))
		w, h = int(float64(w)*math.Sqrt(f)), int(float64(h)*math.Sqrt(f))
	}
	return enc(w, h)
}
