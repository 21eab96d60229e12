// Package static holds the files Roost serves under /static/.
package static

import "embed"

// FS holds every static file.
//
//go:embed *.css *.png *.js *.svg
var FS embed.FS
