package ap

// Signed fetching of ActivityPub documents (FEDERATION.md §2.1, §2.3, §3.1).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrGone is returned when a peer answers 410 Gone: the document (or the
// whole account) was deleted.
var ErrGone = errors.New("gone")

// ErrNotActivityJSON is returned for a response whose Content-Type is
// neither application/activity+json nor application/ld+json. Mastodon and
// GoToSocial discard such documents too (FEDERATION.md §9.1), so Roost
// does not trust an application/json body that might be anything.
var ErrNotActivityJSON = errors.New("response is not activitystreams json")

var (
	// errTooLarge is returned for a body over maxDocumentSize.
	errTooLarge = errors.New("response body too large")
	// errIDMismatch is returned when a document's id is not the URL it
	// was fetched from (FEDERATION.md §2.1, §9.2).
	errIDMismatch = errors.New("document id does not match its URL")
)

const (
	// fetchTimeout bounds one fetch from the first byte sent to the last
	// byte read, redirects and the unsigned-query retry included.
	fetchTimeout = 20 * time.Second
	// maxDocumentSize is Mastodon's body_with_limit(1.megabyte).
	maxDocumentSize = 1 << 20
	// acceptActivity is the Accept of every document fetch.
	acceptActivity = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// document is a fetched, decoded ActivityStreams document.
type document struct {
	obj  *Object
	body []byte
	// url is where the document was found: the URL asked for without its
	// fragment, or the last URL of a redirect chain.
	url string
}

// Get fetches the ActivityStreams document at url with a GET signed by the
// owner's key, so that servers in authorized-fetch mode answer. A 401 for a
// URL with a query is retried once signed without the query (older Mastodon
// and honk sign and check only the path, FEDERATION.md §3.1). The fetch
// takes at most 20 seconds and 1 MiB; the Content-Type must be
// application/activity+json or application/ld+json; and the document's id
// must be the URL it came from (after redirects, the last one), so a server
// can speak only for its own ids. A fragment in url (a keyId such as
// …#main-key) is not sent and not compared. Get returns the document and
// the raw body.
func (f *Federation) Get(ctx context.Context, url string) (*Object, []byte, error) {
	doc, err := f.fetchDocument(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	if doc.obj.ID != doc.url {
		return nil, nil, fmt.Errorf("get %s: id %q: %w", doc.url, doc.obj.ID, errIDMismatch)
	}
	return doc.obj, doc.body, nil
}

// fetchDocument is Get without the id check, for PublicKey: a keyId may
// lead to a key stub whose id is its owner's (GoToSocial).
func (f *Federation) fetchDocument(ctx context.Context, rawURL string) (*document, error) {
	rawURL, _, _ = strings.Cut(rawURL, "#")
	u, err := f.checkURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()

	resp, err := f.get(ctx, u, acceptActivity, true, true)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && u.RawQuery != "" {
		resp.Body.Close()
		resp, err = f.get(ctx, u, acceptActivity, true, false)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if err := checkStatus(resp); err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	if ct := resp.Header.Get("Content-Type"); !isActivityJSON(ct) {
		return nil, fmt.Errorf("get %s: content type %q: %w", rawURL, ct, ErrNotActivityJSON)
	}
	body, err := readLimited(resp, maxDocumentSize)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	obj, err := Decode(body)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	doc := &document{obj: obj, body: body, url: rawURL}
	if final := resp.Request.URL; final.String() != u.String() {
		doc.url = final.String()
	}
	return doc, nil
}

// get sends one GET with the given Accept, signed with the owner's key when
// sign is set ((request-target) with the query when withQuery is set).
func (f *Federation) get(ctx context.Context, u *url.URL, accept string, sign, withQuery bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if f.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", f.cfg.UserAgent)
	}
	if sign {
		if err := SignRequest(req, nil, f.cfg.URLs.Key(), f.key, f.now(), withQuery); err != nil {
			return nil, err
		}
	}
	return f.client.Do(req)
}

// checkStatus turns a response status other than 2xx into an error:
// ErrGone for 410.
func checkStatus(resp *http.Response) error {
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		return ErrGone
	}
	return fmt.Errorf("status %s", resp.Status)
}

// isActivityJSON reports whether a Content-Type names an ActivityStreams
// document, with any parameters (FEDERATION.md §2.1).
func isActivityJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/activity+json" || mt == "application/ld+json")
}

// readLimited reads resp's body, failing with errTooLarge past limit bytes
// without reading further.
func readLimited(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes", errTooLarge, resp.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", errTooLarge, limit)
	}
	return body, nil
}
