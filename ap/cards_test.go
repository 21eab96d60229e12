package ap

import "testing"

func TestParsePreview(t *testing.T) {
	cases := []struct {
		name, page string
		want       PagePreview
	}{
		{"opengraph", `<html><head><title>T</title><meta property="og:title" content="OG">
<meta property="og:description" content="D"><meta property="og:image" content="img.png">
<meta property="og:site_name" content="Site"><meta property="og:url" content="https://x.example/canonical"></head></html>`,
			PagePreview{URL: "https://x.example/canonical", Title: "OG", Description: "D", Image: "https://x.example/a/img.png", SiteName: "Site"}},
		{"twitter", `<meta name="twitter:title" content="TW"><meta name="twitter:image" content="javascript:alert(1)">`,
			PagePreview{URL: "https://x.example/a/page", Title: "TW"}},
		{"title only", `<title>  Plain
 title </title><meta name="description" content="Desc"><body><meta property="og:title" content="late">`,
			PagePreview{URL: "https://x.example/a/page", Title: "Plain title", Description: "Desc"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ParsePreview([]byte(tc.page), "https://x.example/a/page")
			if *got != tc.want {
				t.Errorf("got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}
