package ap

// WebFinger resolution of user@host handles (FEDERATION.md §1.1).

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"roost/store"
)

// errNoLoopBack is returned when a handle's WebFinger answer and the actor
// it points to do not confirm each other (FEDERATION.md §1.1, §9.3).
var errNoLoopBack = errors.New("webfinger does not loop back")

const (
	// acceptJRD is what Mastodon's WebFinger client sends.
	acceptJRD = "application/jrd+json, application/json"
	// maxJRDSize bounds a WebFinger answer; real ones are a few KiB.
	maxJRDSize = 256 << 10
)

// jrd is the part of a WebFinger JSON Resource Descriptor Roost reads.
type jrd struct {
	Subject string
	Aliases []string
	Links   []jrdLink
}

// jrdLink is one entry of a JRD's links.
type jrdLink struct {
	Rel, Type, Href, Template string
}

// ResolveHandle resolves a handle ("user@host", with or without a leading
// "@" or "acct:") to the remote account it names: WebFinger at
// https://host/.well-known/webfinger, the "self" link, then the actor with
// Actor(…, true). As Mastodon does, a JRD whose subject names another
// account is followed once, and that server must confirm the subject; and
// when the actor's own handle (preferredUsername at the host of its id)
// differs from the subject, WebFinger for that handle must lead back to the
// actor id exactly. With Config.Insecure a host that does not speak TLS is
// asked again over plain http (local test instances).
func (f *Federation) ResolveHandle(ctx context.Context, handle string) (*store.Account, error) {
	user, host, err := splitHandle(handle)
	if err != nil {
		return nil, err
	}
	subject, href, err := f.webfingerSelf(ctx, user, host)
	if err != nil {
		return nil, err
	}
	a, err := f.Actor(ctx, href, true)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", handle, err)
	}
	if strings.EqualFold(a.Username+"@"+a.Domain, subject) {
		return a, nil
	}
	j, err := f.webfinger(ctx, a.Domain, a.Username+"@"+a.Domain)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: check %s@%s: %w", handle, a.Username, a.Domain, err)
	}
	if j.selfLink() != a.URI {
		return nil, fmt.Errorf("resolve %s: %s@%s does not lead to %s: %w",
			handle, a.Username, a.Domain, a.URI, errNoLoopBack)
	}
	return a, nil
}

// webfingerSelf asks host about user@host and returns the confirmed
// subject (without "acct:") and the actor id from its self link. A subject
// naming another account is followed once, and must then name itself.
func (f *Federation) webfingerSelf(ctx context.Context, user, host string) (subject, href string, err error) {
	query := user + "@" + host
	j, err := f.webfinger(ctx, host, query)
	if err != nil {
		return "", "", fmt.Errorf("resolve %s: %w", query, err)
	}
	subject = strings.TrimPrefix(j.Subject, "acct:")
	if subject == "" {
		subject = query
	}
	if !strings.EqualFold(subject, query) {
		_, host2, err := splitHandle(subject)
		if err != nil {
			return "", "", fmt.Errorf("resolve %s: subject: %w", query, err)
		}
		if j, err = f.webfinger(ctx, host2, subject); err != nil {
			return "", "", fmt.Errorf("resolve %s: subject %s: %w", query, subject, err)
		}
		if s := strings.TrimPrefix(j.Subject, "acct:"); !strings.EqualFold(s, subject) {
			return "", "", fmt.Errorf("resolve %s: subject %s answers as %q: %w", query, subject, s, errNoLoopBack)
		}
	}
	if href = j.selfLink(); href == "" {
		return "", "", fmt.Errorf("resolve %s: no activitypub self link", query)
	}
	return subject, href, nil
}

// webfinger fetches and parses the JRD for acct (user@host) from host.
func (f *Federation) webfinger(ctx context.Context, host, acct string) (*jrd, error) {
	if f.isLocalHost(host) {
		return nil, fmt.Errorf("webfinger %s: %w", acct, ErrLocalURI)
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	query := "resource=" + url.QueryEscape("acct:"+acct)
	body, err := f.getJRD(ctx, "https://"+host+"/.well-known/webfinger?"+query)
	var ue *url.Error
	if err != nil && f.cfg.Insecure && errors.As(err, &ue) && ctx.Err() == nil {
		// Local test instances serve plain http: fall back when the
		// https attempt failed to connect or to talk TLS.
		body, err = f.getJRD(ctx, "http://"+host+"/.well-known/webfinger?"+query)
	}
	if err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	j, err := parseJRD(body)
	if err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	return j, nil
}

// getJRD fetches a WebFinger URL, unsigned as Mastodon does. Errors from
// the transport are returned as the *url.Error the client gives.
func (f *Federation) getJRD(ctx context.Context, raw string) ([]byte, error) {
	u, err := f.checkURL(raw)
	if err != nil {
		return nil, err
	}
	resp, err := f.get(ctx, u, acceptJRD, false, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := checkStatus(resp); err != nil {
		return nil, err
	}
	// Any JSON type will do (servers send jrd+json, json, or json with a
	// charset); an HTML error page will not.
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil &&
		!strings.HasSuffix(mt, "json") && mt != "text/plain" {
		return nil, fmt.Errorf("content type %q is not json", mt)
	}
	return readLimited(resp, maxJRDSize)
}

// parseJRD decodes a JRD leniently: null or mistyped fields are skipped,
// as are links that are not objects (FEDERATION.md §1.1).
func parseJRD(data []byte) (*jrd, error) {
	m := decodeMap(data)
	if m == nil {
		return nil, errors.New("jrd is not a json object")
	}
	j := &jrd{Subject: decodeString(m["subject"])}
	for _, a := range decodeArray(m["aliases"]) {
		if s := decodeString(a); s != "" {
			j.Aliases = append(j.Aliases, s)
		}
	}
	for _, raw := range decodeArray(m["links"]) {
		l := decodeMap(raw)
		if l == nil {
			continue
		}
		j.Links = append(j.Links, jrdLink{
			Rel:      decodeString(l["rel"]),
			Type:     decodeString(l["type"]),
			Href:     decodeString(l["href"]),
			Template: decodeString(l["template"]),
		})
	}
	return j, nil
}

// selfLink returns the href of the first "self" link of an ActivityStreams
// type, or "". Pleroma lists it twice, as activity+json and as ld+json.
func (j *jrd) selfLink() string {
	for _, l := range j.Links {
		if l.Rel != "self" || l.Href == "" {
			continue
		}
		mt, _, err := mime.ParseMediaType(l.Type)
		if err == nil && (mt == "application/activity+json" || mt == "application/ld+json") {
			return l.Href
		}
	}
	return ""
}

// splitHandle splits "user@host" (leading "@" or "acct:" allowed) and
// lower-cases the host.
func splitHandle(handle string) (user, host string, err error) {
	h := strings.TrimSpace(handle)
	h = strings.TrimPrefix(h, "acct:")
	h = strings.TrimPrefix(h, "@")
	user, host, ok := strings.Cut(h, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(user, "/?#% ") ||
		strings.ContainsAny(host, "@/?#%\\ ") {
		return "", "", fmt.Errorf("%q is not a user@host handle", handle)
	}
	return user, strings.ToLower(host), nil
}
