package handlers

import (
	"context"
	"errors"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"roost/markup"
	"roost/media"
	"roost/store"
)

// accountFor loads the account {id}.
func (s *Server) accountFor(r *http.Request) (*store.Account, error) {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return nil, errNotFound
	}
	return s.st.GetAccount(r.Context(), id)
}

// getAccountStatuses serves GET /api/v1/accounts/{id}/statuses with
// only_media, exclude_replies, exclude_reblogs, pinned and tagged.
func (s *Server) getAccountStatuses(w http.ResponseWriter, r *http.Request) error {
	isOwner, err := readerIsOwner(r, "read:statuses")
	if err != nil {
		return err
	}
	a, err := s.accountFor(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ctx := r.Context()
	var list []*store.Status
	if truthy(q.Get("pinned")) {
		if list, err = s.st.ListPinned(ctx, a.ID); err != nil {
			return err
		}
	} else {
		f := store.AccountStatusesFilter{
			ExcludeReplies: truthy(q.Get("exclude_replies")),
			ExcludeReblogs: truthy(q.Get("exclude_reblogs")),
			OnlyMedia:      truthy(q.Get("only_media")),
			Tag:            strings.ToLower(strings.TrimPrefix(q.Get("tagged"), "#")),
		}
		if isOwner {
			f.Visibilities = []string{store.Public, store.Unlisted, store.Private, store.Direct}
		}
		if list, err = s.st.ListAccountStatuses(ctx, a.ID, f, apiPage(q, 20, 40)); err != nil {
			return err
		}
	}
	return s.writeStatuses(w, r, visibleFilter(isOwner, list))
}

// followList serves the followers and following of an account: the
// owner's in full; a remote account's are not known here, so empty.
func (s *Server) followList(list func(ctx context.Context, id int64, p store.Page) ([]*store.Account, []int64, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := readerIsOwner(r, "read:accounts"); err != nil {
			return err
		}
		a, err := s.accountFor(r)
		if err != nil {
			return err
		}
		var accts []*store.Account
		var ids []int64
		if a.Local() {
			if accts, ids, err = list(r.Context(), a.ID, apiPage(r.URL.Query(), 40, 80)); err != nil {
				return err
			}
		}
		return s.writeAccounts(w, r, accts, ids)
	}
}

// getRelationships serves GET /api/v1/accounts/relationships?id[]=.
func (s *Server) getRelationships(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ids := append(q["id[]"], q["id"]...)
	out := make([]*Relationship, 0, len(ids))
	for _, idText := range ids {
		id, ok := store.ParseID(idText)
		if !ok {
			continue
		}
		a, err := s.st.GetAccount(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		v, err := s.relationshipJSON(r.Context(), a)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// relationshipAction performs act on the account {id} and answers the
// relationship as it is afterwards.
func (s *Server) relationshipAction(act func(r *http.Request, a *store.Account) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.accountFor(r)
		if err != nil {
			return err
		}
		if a.Local() {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: This is your own account")
		}
		if err := act(r, a); err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
				err = nil // already so: Mastodon answers the relationship anyway
			} else {
				return err
			}
		}
		v, err := s.relationshipJSON(r.Context(), a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func (s *Server) followAction(r *http.Request, a *store.Account) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	if _, err := s.st.GetFollow(ctx, owner.ID, a.ID); errors.Is(err, store.ErrNotFound) {
		if err := s.fed.Follow(ctx, a); err != nil {
			return err
		}
	}
	// reblogs and notify change the existing follow too.
	return s.st.SetFollowOptions(ctx, owner.ID, a.ID, p.Get("reblogs") != "false" && p.Get("reblogs") != "0", truthy(p.Get("notify")))
}

func (s *Server) unfollowAction(r *http.Request, a *store.Account) error {
	return s.fed.Unfollow(r.Context(), a)
}
func (s *Server) blockAction(r *http.Request, a *store.Account) error {
	return s.fed.Block(r.Context(), a)
}
func (s *Server) unblockAction(r *http.Request, a *store.Account) error {
	return s.fed.Unblock(r.Context(), a)
}

func (s *Server) muteAction(r *http.Request, a *store.Account) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	m := &store.Mute{Notifications: p.Get("notifications") != "false" && p.Get("notifications") != "0"}
	if secs, err := strconv.Atoi(p.Get("duration")); err == nil && secs > 0 {
		until := time.Now().Add(time.Duration(secs) * time.Second)
		m.ExpiresAt = &until
	}
	return s.st.SetMute(r.Context(), a.ID, m)
}

func (s *Server) unmuteAction(r *http.Request, a *store.Account) error {
	return s.st.SetMute(r.Context(), a.ID, nil)
}

func (s *Server) removeFromFollowersAction(r *http.Request, a *store.Account) error {
	return s.fed.RemoveFollower(r.Context(), a)
}

func (s *Server) noteAction(r *http.Request, a *store.Account) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	note := p.Get("comment")
	if utf8.RuneCountInString(note) > 2000 {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Comment is too long (maximum is 2000 characters)")
	}
	return s.st.SetAccountNote(r.Context(), a.ID, note)
}

// searchAccounts serves GET /api/v1/accounts/search (q, resolve, limit).
func (s *Server) searchAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	accts, err := s.findAccounts(r.Context(), q.Get("q"), truthy(q.Get("resolve")), limitParam(q.Get("limit"), 40, 80))
	if err != nil {
		return err
	}
	out, err := s.accountsJSON(r.Context(), accts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func limitParam(v string, def, maxN int) int {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return def
	}
	return min(n, maxN)
}

// findAccounts searches known accounts; with resolve, a full handle is
// looked up by WebFinger when it is not known yet.
func (s *Server) findAccounts(ctx context.Context, q string, resolve bool, limit int) ([]*store.Account, error) {
	q = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	if q == "" {
		return []*store.Account{}, nil
	}
	if user, host, ok := strings.Cut(q, "@"); ok && user != "" && host != "" {
		a, err := s.st.GetAccountByHandle(ctx, user, host)
		if strings.EqualFold(host, s.urls.Host()) {
			a, err = s.st.GetAccountByHandle(ctx, user, "")
		}
		if errors.Is(err, store.ErrNotFound) && resolve {
			rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			a, err = s.fed.ResolveHandle(rctx, q)
			cancel()
		}
		if err == nil {
			return []*store.Account{a}, nil
		}
	}
	return s.st.SearchAccounts(ctx, q, limit)
}

// Profile limits, as Mastodon's.
const (
	maxDisplayName   = 30
	maxNote          = 500
	maxProfileFields = 4
	maxFieldLength   = 255
)

// patchCredentials serves PATCH /api/v1/accounts/update_credentials:
// display name, bio (Markdown), profile fields, locked, bot, discoverable,
// indexable and the posting defaults. The new profile is sent to
// followers as an Update.
func (s *Server) patchCredentials(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 2*limitImageSize+64<<10)
	p, err := params(r)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%s", err)
	}
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	for field, dst := range map[string]*string{"avatar": &owner.AvatarURL, "header": &owner.HeaderURL} {
		if err := s.profileImage(r, field, dst); err != nil {
			return err
		}
	}
	if v, ok := p["display_name"]; ok {
		name := strings.TrimSpace(first(v))
		if utf8.RuneCountInString(name) > maxDisplayName {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Display name is too long (maximum is %d characters)", maxDisplayName)
		}
		owner.DisplayName = name
	}
	if v, ok := p["note"]; ok {
		note := first(v)
		if utf8.RuneCountInString(note) > maxNote {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Note is too long (maximum is %d characters)", maxNote)
		}
		owner.NoteSource = note
		owner.Note, _, _ = s.md.Post(note, s.profileLinker(ctx))
	}
	for key, dst := range map[string]*bool{"locked": &owner.Locked, "bot": &owner.Bot,
		"discoverable": &owner.Discoverable, "indexable": &owner.Indexable} {
		if v, ok := p[key]; ok {
			*dst = truthy(first(v))
		}
	}
	if fields, ok, err := profileFields(p); err != nil {
		return err
	} else if ok {
		owner.Fields = fields
		for i := range owner.Fields {
			owner.Fields[i].Value = s.fieldHTML(owner.Fields[i].Value)
		}
	}
	if err := s.savePostingDefaults(ctx, p); err != nil {
		return err
	}
	if err := s.st.UpdateAccount(ctx, owner); err != nil {
		return err
	}
	avatar, header := s.avatarURL(owner), s.headerURL(owner)
	if err := s.fed.UpdateProfile(ctx, avatar, imageType(avatar), header, imageType(header)); err != nil {
		return err
	}
	return s.getVerifyCredentials(w, r)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// profileFields reads fields_attributes[i][name] and [value] (forms) or
// fields_attributes as an array (JSON, flattened by params the same way).
func profileFields(p map[string][]string) ([]store.Field, bool, error) {
	var out []store.Field
	found := false
	for i := 0; i < 16; i++ {
		n, nok := p["fields_attributes["+strconv.Itoa(i)+"][name]"]
		v, vok := p["fields_attributes["+strconv.Itoa(i)+"][value]"]
		if !nok && !vok {
			continue
		}
		found = true
		name, value := strings.TrimSpace(first(n)), strings.TrimSpace(first(v))
		if name == "" && value == "" {
			continue
		}
		if utf8.RuneCountInString(name) > maxFieldLength || utf8.RuneCountInString(value) > maxFieldLength {
			return nil, false, errorf(http.StatusUnprocessableEntity, "Validation failed: Profile fields are limited to %d characters", maxFieldLength)
		}
		out = append(out, store.Field{Name: name, Value: value})
	}
	if len(out) > maxProfileFields {
		return nil, false, errorf(http.StatusUnprocessableEntity, "Validation failed: At most %d profile fields", maxProfileFields)
	}
	if out == nil {
		out = []store.Field{}
	}
	return out, found, nil
}

// fieldHTML turns a profile field's text into HTML: a URL becomes a link
// with rel="me", as Mastodon writes them so that the other site can be
// verified.
func (s *Server) fieldHTML(text string) string {
	if (strings.HasPrefix(text, "https://") || strings.HasPrefix(text, "http://")) && !strings.ContainsAny(text, " <>\"") {
		esc := html.EscapeString(text)
		return `<a href="` + esc + `" rel="me nofollow noopener noreferrer" target="_blank">` + esc + `</a>`
	}
	return html.EscapeString(text)
}

// profileLinker links mentions and hashtags in the bio or an edited
// status to the accounts and tag pages they name.
func (s *Server) profileLinker(ctx context.Context) markup.Linker {
	return markup.Linker{
		Mention: func(m markup.Mention) (string, bool) {
			a, err := s.mentionedAccount(ctx, m)
			if err != nil {
				return "", false
			}
			return firstNonEmptyString(a.URL, a.URI), true
		},
		Tag: s.urls.Tag,
	}
}

// savePostingDefaults stores source[privacy], source[sensitive] and
// source[language].
func (s *Server) savePostingDefaults(ctx context.Context, p map[string][]string) error {
	if v, ok := p["source[privacy]"]; ok {
		if !visibilities[first(v)] || first(v) == store.Direct {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Privacy is not included in the list")
		}
		if err := s.st.SetSetting(ctx, store.SettingDefaultPrivacy, first(v)); err != nil {
			return err
		}
	}
	if v, ok := p["source[sensitive]"]; ok {
		val := "0"
		if truthy(first(v)) {
			val = "1"
		}
		if err := s.st.SetSetting(ctx, store.SettingDefaultSensitive, val); err != nil {
			return err
		}
	}
	if v, ok := p["source[language]"]; ok {
		if err := s.st.SetSetting(ctx, store.SettingDefaultLanguage, first(v)); err != nil {
			return err
		}
	}
	return nil
}

// profileImage processes an avatar or header upload (multipart field
// field) like any media, stripping its metadata, and points *dst at it.
func (s *Server) profileImage(r *http.Request, field string, dst *string) error {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 {
		return nil
	}
	fh := r.MultipartForm.File[field][0]
	if fh.Size > limitImageSize {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: %s is too large", field)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := media.Process(r.Context(), s.cfg.MediaDir, f, mediaLimits, time.Now())
	if err != nil {
		return mediaError(err)
	}
	*dst = s.cfg.BaseURL + "/media/" + res.File
	return nil
}
