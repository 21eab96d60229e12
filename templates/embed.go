// Package templates holds the HTML templates of Roost's public pages.
package templates

import "embed"

// FS holds every template.
//
//go:embed *.html
var FS embed.FS
