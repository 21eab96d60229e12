// Package media turns an uploaded image into the files Roost serves: the
// original re-encoded without its metadata (EXIF, GPS, comments, text
// chunks) and turned upright, a small preview, and a blurhash. It also
// owns the layout of the media directory (<yyyy>/<mm>/<name>.<ext>).
//
// It is its own package because decoding and re-encoding images is a big,
// separate concern with its own memory limits: a decompression bomb must
// be refused from its header alone, and on a Raspberry Pi only one image
// may be decoded at a time. Keeping it apart from handlers keeps that
// memory discipline in one place and lets it be tested without HTTP.
//
// It imports only the standard library, golang.org/x/image (scaling and
// WebP decoding) and github.com/bbrks/go-blurhash.
package media
