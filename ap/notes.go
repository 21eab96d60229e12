package ap

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"roost/markup"
	"roost/store"
)

// statusTypes are the object types stored as statuses (FEDERATION.md §5):
// Note and Question first-class, the others converted best-effort.
var statusTypes = map[string]bool{
	"Note": true, "Question": true, "Article": true, "Page": true, "Video": true,
	"Image": true, "Audio": true, "Event": true,
}

// maxAncestors bounds how many unknown parents a reply may pull in.
const maxAncestors = 8

// maxMentionFetches bounds how many unknown mentioned accounts one status
// may make us fetch.
const maxMentionFetches = 10

// visibilityOf derives Mastodon's visibility from addressing: public when
// Public is in to, unlisted when it is in cc, followers-only when the
// author's followers are addressed, direct otherwise.
func visibilityOf(o *Object, followersURL string) string {
	switch {
	case o.To.HasPublic():
		return store.Public
	case o.CC.HasPublic():
		return store.Unlisted
	case followersURL != "" && (o.To.Contains(followersURL) || o.CC.Contains(followersURL)):
		return store.Private
	}
	return store.Direct
}

// languageOf picks the contentMap key whose text is the content, or the
// only key (FEDERATION.md §7).
func languageOf(o *Object) string {
	for lang, text := range o.ContentMap {
		if text == o.Content || len(o.ContentMap) == 1 {
			return lang
		}
	}
	return ""
}

// statusFromObject converts a remote object by author into a status and
// its parts. It resolves the parent (fetching unknown ancestors, bounded)
// and mentioned accounts.
func (f *Federation) statusFromObject(ctx context.Context, author *store.Account, o *Object, depth int) (*store.Status, *store.StatusParts, error) {
	content := o.Content
	if content == "" {
		for _, text := range o.ContentMap {
			content = text
			break
		}
	}
	if o.Type != "Note" && o.Type != "Question" && o.Name != "" {
		// Articles, Pages and Events carry their title in name.
		content = "<p><strong>" + html.EscapeString(o.Name) + "</strong></p>" + content
		if u := o.URLString("text/html"); u != "" && o.Content == "" {
			content += `<p><a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + `</a></p>`
		}
	}
	st := &store.Status{
		URI:          o.ID,
		URL:          o.URLString("text/html"),
		AccountID:    author.ID,
		Visibility:   visibilityOf(o, author.FollowersURL),
		Content:      f.md.Sanitize(content),
		SpoilerText:  strings.TrimSpace(markup.PlainText(o.Summary)),
		Language:     languageOf(o),
		Conversation: firstNonEmpty(o.Conversation, o.ContextIRI),
		QuoteURI:     o.Quote,
		CreatedAt:    f.now(),
	}
	if st.URL == "" {
		st.URL = o.ID
	}
	if o.Published != nil && o.Published.Before(f.now().Add(time.Hour)) {
		st.CreatedAt = *o.Published
	}
	if o.Updated != nil && o.Updated.After(st.CreatedAt) {
		st.EditedAt = ptr(*o.Updated)
	}
	st.Sensitive = st.SpoilerText != "" || (o.Sensitive != nil && *o.Sensitive)
	if parent := o.InReplyTo.ID; parent != "" {
		st.InReplyToURI = parent
		if p, err := f.resolveStatus(ctx, parent, depth+1); err == nil {
			st.InReplyToID, st.InReplyToAccountID = &p.ID, &p.AccountID
		} else {
			f.log.Debug("parent not resolved", "status", o.ID, "parent", parent, "err", err)
		}
	}
	parts, err := f.partsOf(ctx, o, st)
	if err != nil {
		return nil, nil, err
	}
	return st, parts, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// partsOf converts tags, attachments and poll options.
func (f *Federation) partsOf(ctx context.Context, o *Object, st *store.Status) (*store.StatusParts, error) {
	parts := &store.StatusParts{}
	fetches := 0
	seen := map[int64]bool{}
	for i := range o.Tag {
		t := &o.Tag[i]
		switch t.Type {
		case "Mention":
			href := firstNonEmpty(t.Href, t.ID)
			if href == "" {
				continue
			}
			a, err := f.st.GetAccountByURI(ctx, href)
			if errors.Is(err, store.ErrNotFound) && fetches < maxMentionFetches && hostOf(href) != f.cfg.URLs.Host() {
				fetches++
				a, err = f.Actor(ctx, href, false)
			}
			if err == nil && !seen[a.ID] {
				seen[a.ID] = true
				parts.Mentions = append(parts.Mentions, a.ID)
			}
		case "Hashtag":
			name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t.Name), "#"))
			if name != "" && len(name) <= 100 && !strings.ContainsAny(name, " \t\n#") {
				parts.Tags = append(parts.Tags, name)
			}
		case "Emoji":
			code := strings.Trim(t.Name, ":")
			if u := t.Icon.URLString("image/"); code != "" && u != "" {
				st.Emojis = append(st.Emojis, store.Emoji{Shortcode: code, URL: u})
			}
		}
	}
	for i := range o.Attachment {
		if m := mediaFromAttachment(&o.Attachment[i]); m != nil && len(parts.Media) < 16 {
			parts.Media = append(parts.Media, m)
		}
	}
	if o.Type == "Question" {
		parts.Poll = pollFromQuestion(o)
	}
	return parts, nil
}

// mediaFromAttachment converts one attachment (FEDERATION.md §7).
func mediaFromAttachment(a *Object) *store.Media {
	u := a.URLString("")
	if u == "" {
		u = a.Href
	}
	if u == "" || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
		return nil
	}
	m := &store.Media{
		RemoteURL:   u,
		MediaType:   a.MediaType,
		Description: firstNonEmpty(a.Summary, a.Name),
		Width:       a.Width,
		Height:      a.Height,
		Type:        "unknown",
	}
	switch mt := a.MediaType; {
	case strings.HasPrefix(mt, "image/gif"):
		m.Type = "gifv"
	case strings.HasPrefix(mt, "image/"), a.Type == "Image":
		m.Type = "image"
	case strings.HasPrefix(mt, "video/"), a.Type == "Video":
		m.Type = "video"
	case strings.HasPrefix(mt, "audio/"), a.Type == "Audio":
		m.Type = "audio"
	}
	// Mastodon drops blurhashes with more than 5×5 components.
	if len(a.Blurhash) >= 6 && len(a.Blurhash) <= 64 {
		m.Blurhash = a.Blurhash
	}
	if len(a.FocalPoint) == 2 {
		m.FocusX, m.FocusY = clamp1(a.FocalPoint[0]), clamp1(a.FocalPoint[1])
	}
	return m
}

func clamp1(v float64) float64 { return max(-1, min(1, v)) }

// pollFromQuestion reads a Question's options and counts.
func pollFromQuestion(o *Object) *store.Poll {
	p := &store.Poll{Multiple: len(o.AnyOf) > 0}
	opts := o.OneOf
	if p.Multiple {
		opts = o.AnyOf
	}
	for _, opt := range opts {
		votes := 0
		if r := opt.Replies.Obj; r != nil && r.TotalItems != nil {
			votes = *r.TotalItems
		}
		p.Options = append(p.Options, store.PollOption{Title: opt.Name, VotesCount: votes})
	}
	if o.VotersCount != nil {
		p.VotersCount = *o.VotersCount
	}
	p.ExpiresAt = o.EndTime
	if o.Closed != nil {
		p.ExpiresAt, p.Closed = o.Closed, true
	}
	p.Closed = p.Closed || o.ClosedFlag
	return p
}

// resolveStatus returns the stored status with id uri, fetching it (and,
// within maxAncestors, its unknown ancestors) from its origin when needed.
func (f *Federation) resolveStatus(ctx context.Context, uri string, depth int) (*store.Status, error) {
	st, err := f.st.GetStatusByURI(ctx, uri)
	if !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	if depth > maxAncestors || hostOf(uri) == f.cfg.URLs.Host() {
		return nil, store.ErrNotFound
	}
	if gone, err := f.st.IsTombstone(ctx, uri); err != nil || gone {
		return nil, store.ErrNotFound
	}
	o, _, err := f.Get(ctx, uri)
	if err != nil {
		return nil, err
	}
	return f.storeFetched(ctx, o, depth)
}

// storeFetched stores an object fetched from its origin, after checking
// that its author lives there.
func (f *Federation) storeFetched(ctx context.Context, o *Object, depth int) (*store.Status, error) {
	if !statusTypes[o.Type] {
		return nil, permanent(fmt.Errorf("%s is a %s, not a status", o.ID, o.Type))
	}
	authorID := o.AttributedTo.First().ID
	if authorID == "" || hostOf(authorID) != hostOf(o.ID) {
		return nil, permanent(fmt.Errorf("%s: author %q is not of its origin", o.ID, authorID))
	}
	author, err := f.Actor(ctx, authorID, false)
	if err != nil {
		return nil, err
	}
	st, parts, err := f.statusFromObject(ctx, author, o, depth)
	if err != nil {
		return nil, err
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error { return tx.InsertStatus(st, parts) })
	if errors.Is(err, store.ErrConflict) { // stored meanwhile
		return f.st.GetStatusByURI(ctx, o.ID)
	}
	return st, err
}

// Resolve fetches what u names from its origin: a status (stored, with its
// author) or an actor. It is what pasting a link into search does.
func (f *Federation) Resolve(ctx context.Context, u string) (*store.Status, *store.Account, error) {
	if hostOf(u) == f.cfg.URLs.Host() {
		return nil, nil, ErrLocalURI
	}
	o, _, err := f.Get(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	if statusTypes[o.Type] {
		if st, err := f.st.GetStatusByURI(ctx, o.ID); err == nil {
			return st, nil, nil
		}
		st, err := f.storeFetched(ctx, o, 0)
		return st, nil, err
	}
	a, err := f.Actor(ctx, o.ID, false)
	return nil, a, err
}
