package ap

// Link previews: fetching a web page a status links to and reading its
// OpenGraph (and Twitter card) metadata, as Mastodon's FetchLinkCardService
// does for PreviewCards. The fetch goes through f.client, so the address
// guard applies to the page and to every redirect.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// ErrNotHTML is returned by FetchPage for a response that is not a web
// page.
var ErrNotHTML = errors.New("response is not html")

const (
	// pageTimeout bounds fetching one page for a preview.
	pageTimeout = 10 * time.Second
	// MaxPageSize is the most of a page read for a preview.
	MaxPageSize = 1 << 20
)

// FetchPage GETs the web page at rawURL, unsigned, for a link preview:
// https only (unless Insecure), through the address guard, at most
// maxRedirects redirects, 10 seconds and limit bytes (MaxPageSize at
// most; a longer page is cut, which is enough for its head). The
// Content-Type must be HTML. It returns the body as it came and the URL it came from after redirects. Pages on blocked domains are not
// fetched.
func (f *Federation) FetchPage(ctx context.Context, rawURL string, limit int64) ([]byte, string, error) {
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	u, err := f.checkURL(rawURL)
	if err != nil {
		return nil, "", err
	}
	if blocked, err := f.st.DomainBlocked(ctx, u.Hostname()); err != nil || blocked {
		return nil, "", fmt.Errorf("fetch page %s: domain blocked: %w", u.Hostname(), errors.Join(err, ErrForbiddenAddress))
	}
	ctx, cancel := context.WithTimeout(ctx, pageTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9")
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("fetch page %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, "", fmt.Errorf("fetch page %s: status %d", u.Redacted(), resp.StatusCode)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt != "text/html" && mt != "application/xhtml+xml" {
		return nil, "", fmt.Errorf("fetch page %s: %q: %w", u.Redacted(), ct, ErrNotHTML)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, "", fmt.Errorf("read page %s: %w", u.Redacted(), err)
	}
	return body, resp.Request.URL.String(), nil
}

// PagePreview is what a page says about itself for a link preview.
type PagePreview struct {
	URL         string // og:url when it is an http(s) URL, else the page's
	Title       string
	Description string
	Image       string // absolute http(s) URL, or ""
	SiteName    string
	PublishedAt time.Time // article:published_time, zero when absent
}

// FetchPreview fetches the page at rawURL and reads its preview; a page
// without a title has none (nil, nil).
func (f *Federation) FetchPreview(ctx context.Context, rawURL string) (*PagePreview, error) {
	body, final, err := f.FetchPage(ctx, rawURL, MaxPageSize)
	if err != nil {
		return nil, err
	}
	p := ParsePreview(body, final)
	if p.Title == "" {
		return nil, nil
	}
	return p, nil
}

// ParsePreview reads og:title, og:description, og:image, og:site_name and
// og:url, falling back to twitter:* and then to <title> and the
// description meta tag. Relative URLs are resolved against pageURL.
func ParsePreview(body []byte, pageURL string) *PagePreview {
	meta := map[string]string{}
	var title strings.Builder
	inTitle, titleDone := false, false
	z := html.NewTokenizer(bytes.NewReader(body))
loop:
	for {
		switch z.Next() {
		case html.ErrorToken:
			break loop
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			switch t.Data {
			case "meta":
				var key, content string
				hasContent := false
				for _, a := range t.Attr {
					switch strings.ToLower(a.Key) {
					case "property", "name":
						if key == "" {
							key = strings.ToLower(strings.TrimSpace(a.Val))
						}
					case "content":
						content, hasContent = strings.TrimSpace(a.Val), true
					}
				}
				if key != "" && hasContent {
					if _, seen := meta[key]; !seen {
						meta[key] = content
					}
				}
			case "title":
				inTitle = !titleDone
			case "body":
				break loop // everything wanted is in the head
			}
		case html.TextToken:
			if inTitle {
				title.Write(z.Text())
			}
		case html.EndTagToken:
			if inTitle && z.Token().Data == "title" {
				inTitle, titleDone = false, true
			}
		}
	}
	pick := func(keys ...string) string {
		for _, k := range keys {
			if v := meta[k]; v != "" {
				return v
			}
		}
		return ""
	}
	p := &PagePreview{
		URL:         pageURL,
		Title:       clip(pick("og:title", "twitter:title"), 250),
		Description: clip(pick("og:description", "twitter:description", "description"), 1000),
		SiteName:    clip(pick("og:site_name", "twitter:site"), 250),
		Image:       absoluteHTTP(pageURL, pick("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")),
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, pick("article:published_time", "og:published_time")); err == nil {
			p.PublishedAt = t.UTC()
			break
		}
	}
	if p.Title == "" {
		p.Title = clip(strings.Join(strings.Fields(title.String()), " "), 250)
	}
	if u := absoluteHTTP(pageURL, meta["og:url"]); u != "" {
		p.URL = u
	}
	return p
}

// absoluteHTTP resolves ref against base and keeps it only when it is an
// http(s) URL.
func absoluteHTTP(base, ref string) string {
	if ref == "" {
		return ""
	}
	b, err := url.Parse(base)
	if err != nil {
		return ""
	}
	u, err := b.Parse(ref)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
}

// clip shortens s to at most n runes. Text from a page in another
// encoding than UTF-8 loses its invalid bytes (decoding those would need
// golang.org/x/text).
func clip(s string, n int) string {
	r := []rune(strings.ToValidUTF8(s, ""))
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
