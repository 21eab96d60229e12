package handlers

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"roost/ap"
	"roost/store"
)

// acceptKind is what a request's Accept header asks for.
type acceptKind int

const (
	acceptHTML acceptKind = iota
	acceptActivity
	acceptNeither
)

// negotiate reads Accept: ActivityStreams JSON for application/activity+json
// and application/ld+json (with or without a profile) and plain
// application/json; HTML for browsers, */* and no Accept at all.
func negotiate(r *http.Request) acceptKind {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return acceptHTML
	}
	html := false
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if params["q"] == "0" {
			continue
		}
		switch mt {
		case "application/activity+json", "application/ld+json", "application/json":
			return acceptActivity
		case "text/html", "application/xhtml+xml", "text/*", "*/*":
			html = true
		}
	}
	if html {
		return acceptHTML
	}
	return acceptNeither
}

func wantsActivityJSON(r *http.Request) bool { return negotiate(r) == acceptActivity }

// writeActivity writes an ActivityPub document with the content type
// Mastodon requires (it discards anything else).
func writeActivity(w http.ResponseWriter, o *ap.Object) error {
	b, err := ap.Marshal(o)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ap.ContentType+"; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.Write(b)
	return nil
}

// checkUser 404s for any username but the owner's. Ids are compared
// exactly: the id in a document must equal the URL it was fetched from.
func (s *Server) checkUser(r *http.Request) error {
	if r.PathValue("username") != s.urls.Username {
		return errNotFound
	}
	return nil
}

// getActor serves the owner's actor document, or the profile page to
// browsers (Vary: Accept tells caches the two apart).
func (s *Server) getActor(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("handle") == "" {
		if err := s.checkUser(r); err != nil {
			return err
		}
	}
	switch negotiate(r) {
	case acceptHTML:
		return s.renderProfile(w, r)
	case acceptNeither:
		return errorf(http.StatusNotAcceptable, "this resource is available as text/html or application/activity+json")
	}
	a, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	avatar, header := s.avatarURL(a), s.headerURL(a)
	doc := s.urls.ActorDocument(a, avatar, imageType(avatar), header, imageType(header))
	w.Header().Set("Cache-Control", "max-age=180, public")
	return writeActivity(w, doc)
}

// statusItemVisibilities are the statuses listed in the public outbox.
var statusItemVisibilities = []string{store.Public, store.Unlisted}

// getOutbox serves the outbox: a collection of Create and Announce
// activities, paged newest first with max_id/min_id as Mastodon does.
func (s *Server) getOutbox(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkUser(r); err != nil {
		return err
	}
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	outbox := s.urls.Outbox()
	if q.Get("page") == "" {
		n, err := s.st.CountLocalStatuses(ctx, statusItemVisibilities...)
		if err != nil {
			return err
		}
		c := ap.OrderedCollection(outbox, n, outbox+"?page=true")
		c.Last = ap.IRI(outbox + "?min_id=0&page=true")
		return writeActivity(w, ap.WithContext(c))
	}
	page := pageFromQuery(q, 20)
	list, err := s.st.ListAccountStatuses(ctx, owner.ID, store.AccountStatusesFilter{Visibilities: statusItemVisibilities}, page)
	if err != nil {
		return err
	}
	items := make(ap.Refs, 0, len(list))
	for _, st := range list {
		act, err := s.statusActivity(r, st)
		if err != nil {
			return err
		}
		items = append(items, ap.Embed(act))
	}
	next, prev := "", ""
	if n := len(list); n > 0 {
		next = outbox + "?max_id=" + store.FormatID(list[n-1].ID) + "&page=true"
		prev = outbox + "?min_id=" + store.FormatID(list[0].ID) + "&page=true"
	}
	return writeActivity(w, ap.WithContext(ap.OrderedCollectionPage(s.requestURL(r), outbox, next, prev, items)))
}

// requestURL is the public URL of the request, the id of a collection page.
func (s *Server) requestURL(r *http.Request) string {
	return s.cfg.BaseURL + r.URL.RequestURI()
}

func pageFromQuery(q url.Values, limit int) store.Page {
	p := store.Page{Limit: limit}
	p.MaxID, _ = store.ParseID(q.Get("max_id"))
	p.MinID, _ = store.ParseID(q.Get("min_id"))
	p.SinceID, _ = store.ParseID(q.Get("since_id"))
	return p
}

// statusActivity is the Create of one of the owner's statuses, or the
// Announce of a boost.
func (s *Server) statusActivity(r *http.Request, st *store.Status) (*ap.Object, error) {
	if st.ReblogOfID == nil {
		note, err := s.fed.NoteOf(r.Context(), st)
		if err != nil {
			return nil, err
		}
		return s.urls.CreateDocument(note, st.CreatedAt), nil
	}
	orig, err := s.st.GetStatus(r.Context(), *st.ReblogOfID)
	if err != nil {
		return nil, err
	}
	author, err := s.st.GetAccount(r.Context(), orig.AccountID)
	if err != nil {
		return nil, err
	}
	return s.urls.AnnounceDocument(st, orig.URI, author.URI), nil
}

// getFollowers and getFollowing serve the follow collections: the total and
// pages of actor ids.
func (s *Server) getFollowers(w http.ResponseWriter, r *http.Request) error {
	return s.followCollection(w, r, s.urls.Followers(), s.st.CountFollowers, s.st.ListFollowers)
}

func (s *Server) getFollowing(w http.ResponseWriter, r *http.Request) error {
	return s.followCollection(w, r, s.urls.Following(), s.st.CountFollowing, s.st.ListFollowing)
}

type (
	countFunc func(ctx context.Context, accountID int64) (int, error)
	listFunc  func(ctx context.Context, accountID int64, p store.Page) ([]*store.Account, []int64, error)
)

func (s *Server) followCollection(w http.ResponseWriter, r *http.Request, id string, count countFunc, list listFunc) error {
	if err := s.checkUser(r); err != nil {
		return err
	}
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("page") == "" {
		n, err := count(ctx, owner.ID)
		if err != nil {
			return err
		}
		return writeActivity(w, ap.WithContext(ap.OrderedCollection(id, n, id+"?page=true")))
	}
	accts, followIDs, err := list(ctx, owner.ID, pageFromQuery(q, 40))
	if err != nil {
		return err
	}
	items := make(ap.Refs, 0, len(accts))
	for _, a := range accts {
		items = append(items, ap.IRI(a.URI))
	}
	next := ""
	if n := len(followIDs); n == 40 {
		next = id + "?max_id=" + store.FormatID(followIDs[n-1]) + "&page=true"
	}
	return writeActivity(w, ap.WithContext(ap.OrderedCollectionPage(s.requestURL(r), id, next, "", items)))
}

// getFeatured serves the pinned statuses as Notes, as Mastodon does.
func (s *Server) getFeatured(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkUser(r); err != nil {
		return err
	}
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	pinned, err := s.st.ListPinned(r.Context(), owner.ID)
	if err != nil {
		return err
	}
	items := ap.Refs{}
	for _, st := range visibleOnPages(pinned) {
		note, err := s.fed.NoteOf(r.Context(), st)
		if err != nil {
			return err
		}
		items = append(items, ap.Embed(note))
	}
	c := ap.OrderedCollection(s.urls.Featured(), len(items), "")
	c.OrderedItems = items
	return writeActivity(w, ap.WithContext(c))
}

// getFeaturedTags serves the featured hashtags (api_tags.go).
func (s *Server) getFeaturedTags(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkUser(r); err != nil {
		return err
	}
	return s.writeFeaturedTagsCollection(w, r)
}

// readableStatus loads the owner's status {id} for an ActivityPub GET:
// public and unlisted ones for anyone, followers-only ones for signed
// requests from followers, direct ones for the mentioned. Deleted ones are
// 410 Gone.
func (s *Server) readableStatus(w http.ResponseWriter, r *http.Request) (*store.Status, error) {
	if err := s.checkUser(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return nil, errNotFound
	}
	st, err := s.st.GetStatus(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if gone, _ := s.st.IsTombstone(ctx, s.urls.Status(id)); gone {
			w.WriteHeader(http.StatusGone)
			return nil, writeActivity(w, ap.WithContext(&ap.Object{ID: s.urls.Status(id), Type: "Tombstone"}))
		}
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	owner, err := s.owner(ctx)
	if err != nil {
		return nil, err
	}
	if st.AccountID != owner.ID {
		return nil, errNotFound
	}
	if st.Visibility == store.Public || st.Visibility == store.Unlisted {
		return st, nil
	}
	signer, err := s.fed.VerifyRequest(ctx, r, nil)
	if err != nil {
		return nil, errNotFound
	}
	switch st.Visibility {
	case store.Private:
		if ok, err := s.st.Follows(ctx, signer.ID, owner.ID); err != nil || !ok {
			return nil, errNotFound
		}
	default:
		parts, err := s.st.GetStatusParts(ctx, st.ID)
		if err != nil || !slices.Contains(parts.Mentions, signer.ID) {
			return nil, errNotFound
		}
	}
	w.Header().Set("Cache-Control", "private")
	return st, nil
}

// getStatusObject serves one of the owner's statuses at its id; browsers
// are sent to its page.
func (s *Server) getStatusObject(w http.ResponseWriter, r *http.Request) error {
	st, err := s.readableStatus(w, r)
	if st == nil || err != nil {
		return err
	}
	if st.ReblogOfID != nil {
		return errNotFound
	}
	if !wantsActivityJSON(r) {
		http.Redirect(w, r, s.urls.StatusPage(st.ID), http.StatusFound)
		return nil
	}
	return s.writeStatusObject(w, r, st)
}

func (s *Server) writeStatusObject(w http.ResponseWriter, r *http.Request, st *store.Status) error {
	note, err := s.fed.NoteOf(r.Context(), st)
	if err != nil {
		return err
	}
	return writeActivity(w, ap.WithContext(note))
}

// getStatusActivity serves the Create (or, for a boost, Announce) at its
// own id.
func (s *Server) getStatusActivity(w http.ResponseWriter, r *http.Request) error {
	st, err := s.readableStatus(w, r)
	if st == nil || err != nil {
		return err
	}
	act, err := s.statusActivity(r, st)
	if err != nil {
		return err
	}
	return writeActivity(w, ap.WithContext(act))
}
