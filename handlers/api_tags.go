package handlers

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"roost/ap"
	"roost/store"
)

// Hashtags: featured on the owner's profile (and in the actor's
// featuredTags collection), and followed onto the home timeline.

// FeaturedTag is Mastodon's FeaturedTag entity.
type FeaturedTag struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	URL           string  `json:"url"`
	StatusesCount string  `json:"statuses_count"` // a string, as Mastodon sends it
	LastStatusAt  *string `json:"last_status_at"` // a day, 2026-11-22
}

// Tag is Mastodon's Tag entity; Following and Featuring are the owner's
// view, absent for anonymous readers.
type Tag struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	URL       string       `json:"url"`
	History   []TagHistory `json:"history"`
	Following *bool        `json:"following,omitempty"`
	Featuring *bool        `json:"featuring,omitempty"`
}

// TagHistory is one day of a hashtag's use; every field is a string.
type TagHistory struct {
	Day      string `json:"day"` // UNIX time of midnight
	Uses     string `json:"uses"`
	Accounts string `json:"accounts"`
}

// tagNameRE is what Mastodon accepts as a hashtag name (letters, digits,
// marks and underscores, not only digits).
var tagNameRE = regexp.MustCompile(`^[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*$`)

// tagName normalises a hashtag parameter ("#Cats" → "cats") and checks it.
func tagName(v string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "#")))
	if name == "" || len(name) > 100 || !tagNameRE.MatchString(name) {
		return "", errorf(http.StatusUnprocessableEntity, "Validation failed: Name is invalid")
	}
	return name, nil
}

func (s *Server) featuredTagJSON(t *store.FeaturedTag) FeaturedTag {
	v := FeaturedTag{ID: store.FormatID(t.ID), Name: t.Name, URL: s.urls.Tag(t.Name),
		StatusesCount: strconv.Itoa(t.StatusesCount)}
	if !t.LastStatusAt.IsZero() {
		d := t.LastStatusAt.UTC().Format(mastoDateLayout)
		v.LastStatusAt = &d
	}
	return v
}

func (s *Server) featuredTagsJSON(ctx context.Context) ([]FeaturedTag, error) {
	owner, err := s.owner(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.st.ListFeaturedTags(ctx, owner.ID)
	if err != nil {
		return nil, err
	}
	out := make([]FeaturedTag, 0, len(list))
	for _, t := range list {
		out = append(out, s.featuredTagJSON(t))
	}
	return out, nil
}

// getFeaturedTagsAPI serves GET /api/v1/featured_tags.
func (s *Server) getFeaturedTagsAPI(w http.ResponseWriter, r *http.Request) error {
	out, err := s.featuredTagsJSON(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getAccountFeaturedTags serves GET /api/v1/accounts/{id}/featured_tags:
// the owner's; a remote account's are not kept, so none.
func (s *Server) getAccountFeaturedTags(w http.ResponseWriter, r *http.Request) error {
	a, err := s.accountFor(r)
	if err != nil {
		return err
	}
	out := []FeaturedTag{}
	if a.Local() {
		if out, err = s.featuredTagsJSON(r.Context()); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// postFeaturedTag serves POST /api/v1/featured_tags (name) and sends the
// changed actor to followers.
func (s *Server) postFeaturedTag(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	name, err := tagName(p.Get("name"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	list, err := s.featuredTagsJSON(ctx)
	if err != nil {
		return err
	}
	if len(list) >= limitFeaturedTags {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: You can only feature up to %d hashtags", limitFeaturedTags)
	}
	id, err := s.st.InsertFeaturedTag(ctx, name)
	if errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Tag has already been taken")
	}
	if err != nil {
		return err
	}
	if err := s.sendActorUpdate(ctx); err != nil {
		return err
	}
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	t, err := s.st.GetFeaturedTag(ctx, owner.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.featuredTagJSON(t))
	return nil
}

// deleteFeaturedTag serves DELETE /api/v1/featured_tags/{id}.
func (s *Server) deleteFeaturedTag(w http.ResponseWriter, r *http.Request) error {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return errNotFound
	}
	if err := s.st.DeleteFeaturedTag(r.Context(), id); err != nil {
		return err
	}
	if err := s.sendActorUpdate(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// sendActorUpdate sends the owner's actor to followers, as after a profile
// change: featured tags are part of it.
func (s *Server) sendActorUpdate(ctx context.Context) error {
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	avatar, header := s.avatarURL(owner), s.headerURL(owner)
	return s.fed.UpdateProfile(ctx, avatar, imageType(avatar), header, imageType(header))
}

// getFeaturedTagSuggestions serves GET /api/v1/featured_tags/suggestions:
// the owner's recently used hashtags not featured yet, as Tags.
func (s *Server) getFeaturedTagSuggestions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	names, err := s.st.SuggestFeaturedTags(ctx, owner.ID, 10)
	if err != nil {
		return err
	}
	out := make([]*Tag, 0, len(names))
	for _, n := range names {
		t, err := s.tagJSON(ctx, n, true)
		if err != nil {
			return err
		}
		out = append(out, t)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// tagJSON renders hashtag name (recording it if new); ownerView adds
// following and featuring.
func (s *Server) tagJSON(ctx context.Context, name string, ownerView bool) (*Tag, error) {
	t, err := s.st.EnsureTag(ctx, name)
	if err != nil {
		return nil, err
	}
	days, err := s.st.TagHistory(ctx, t.Name, 7, time.Now())
	if err != nil {
		return nil, err
	}
	v := &Tag{ID: store.FormatID(t.ID), Name: t.Name, URL: s.urls.Tag(t.Name), History: make([]TagHistory, 0, len(days))}
	for _, d := range days {
		v.History = append(v.History, TagHistory{Day: strconv.FormatInt(d.Day.Unix(), 10),
			Uses: strconv.Itoa(d.Uses), Accounts: strconv.Itoa(d.Accounts)})
	}
	if ownerView {
		v.Following, v.Featuring = &t.Following, &t.Featuring
	}
	return v, nil
}

// getTag serves GET /api/v1/tags/{name}.
func (s *Server) getTag(w http.ResponseWriter, r *http.Request) error {
	isOwner, err := readerIsOwner(r, "read:follows read:statuses")
	if err != nil {
		return err
	}
	name, err := tagName(r.PathValue("name"))
	if err != nil {
		return errNotFound
	}
	v, err := s.tagJSON(r.Context(), name, isOwner)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// followTag serves POST /api/v1/tags/{name}/follow and /unfollow.
func (s *Server) followTag(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name, err := tagName(r.PathValue("name"))
		if err != nil {
			return errNotFound
		}
		if err := s.st.FollowTag(r.Context(), name, on); err != nil {
			return err
		}
		v, err := s.tagJSON(r.Context(), name, true)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// getFollowedTags serves GET /api/v1/followed_tags (limit, default 100,
// at most 200). A single person follows few tags, so there is one page.
func (s *Server) getFollowedTags(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	list, err := s.st.ListFollowedTags(ctx, limitParam(r.URL.Query().Get("limit"), 100, 200))
	if err != nil {
		return err
	}
	out := make([]*Tag, 0, len(list))
	for _, t := range list {
		v, err := s.tagJSON(ctx, t.Name, true)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// writeFeaturedTagsCollection serves the actor's featuredTags collection:
// a Collection of Hashtag objects, as Mastodon publishes it.
func (s *Server) writeFeaturedTagsCollection(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	list, err := s.st.ListFeaturedTags(r.Context(), owner.ID)
	if err != nil {
		return err
	}
	items := ap.Refs{}
	for _, t := range list {
		items = append(items, ap.Embed(&ap.Object{Type: "Hashtag", Href: s.urls.Tag(t.Name), Name: "#" + t.Name}))
	}
	n := len(items)
	c := &ap.Object{ID: s.urls.FeaturedTags(), Type: "Collection", TotalItems: &n, Items: items}
	return writeActivity(w, ap.WithContext(c))
}
