package handlers

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"roost/store"
)

// statusContext is Mastodon's Context entity.
type statusContext struct {
	Ancestors   []*Status `json:"ancestors"`
	Descendants []*Status `json:"descendants"`
}

// visibleFilter keeps what the reader may see: everything for the owner,
// public and unlisted statuses for anyone else.
func visibleFilter(isOwner bool, list []*store.Status) []*store.Status {
	if isOwner {
		return list
	}
	return visibleOnPages(list)
}

// statusForReader loads the status {id} if the reader may see it: any for
// the owner, public and unlisted ones for anyone else (404 otherwise).
func (s *Server) statusForReader(r *http.Request) (st *store.Status, isOwner bool, err error) {
	if isOwner, err = readerIsOwner(r, "read:statuses"); err != nil {
		return nil, false, err
	}
	if st, err = s.statusFor(r); err != nil {
		return nil, false, err
	}
	if !isOwner && !publiclyVisible(st) {
		return nil, false, errNotFound
	}
	return st, isOwner, nil
}

// getStatusContext serves GET /api/v1/statuses/{id}/context.
func (s *Server) getStatusContext(w http.ResponseWriter, r *http.Request) error {
	st, isOwner, err := s.statusForReader(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	anc, err := s.st.Ancestors(ctx, st)
	if err != nil {
		return err
	}
	desc, err := s.st.Descendants(ctx, st)
	if err != nil {
		return err
	}
	render := s.statusesJSON
	if !isOwner {
		render = s.publicStatusesJSON
	}
	out := statusContext{}
	if out.Ancestors, err = render(ctx, visibleFilter(isOwner, anc)); err != nil {
		return err
	}
	if out.Descendants, err = render(ctx, visibleFilter(isOwner, desc)); err != nil {
		return err
	}
	out.Ancestors, out.Descendants = s.applyFilters(ctx, filterContextOf(r), out.Ancestors), s.applyFilters(ctx, filterContextOf(r), out.Descendants)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// interactingAccounts serves reblogged_by and favourited_by.
func (s *Server) interactingAccounts(list func(ctx context.Context, id int64, p store.Page) ([]*store.Account, []int64, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, _, err := s.statusForReader(r)
		if err != nil {
			return err
		}
		accts, ids, err := list(r.Context(), st.ID, apiPage(r.URL.Query(), 40, 80))
		if err != nil {
			return err
		}
		return s.writeAccounts(w, r, accts, ids)
	}
}

// setBookmark and setPinned answer the status as it is afterwards.
func (s *Server) setBookmark(on bool) handlerFunc {
	return s.statusAction(func(ctx context.Context, st *store.Status) error {
		return s.st.SetBookmark(ctx, st.ID, on)
	})
}

func (s *Server) setPinned(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.statusFor(r)
		if err != nil {
			return err
		}
		if !st.Local || st.ReblogOfID != nil {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Only your own statuses can be pinned")
		}
		if on && !publiclyVisible(st) {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Only public and unlisted statuses can be pinned")
		}
		if err := s.st.SetPinned(r.Context(), st.ID, on); err != nil {
			return err
		}
		if st, err = s.st.GetStatus(r.Context(), st.ID); err != nil {
			return err
		}
		return s.writeStatus(w, r, st)
	}
}

// statusEdit is Mastodon's StatusEdit entity.
type statusEdit struct {
	Content          string            `json:"content"`
	SpoilerText      string            `json:"spoiler_text"`
	Sensitive        bool              `json:"sensitive"`
	CreatedAt        string            `json:"created_at"`
	Account          *Account          `json:"account"`
	MediaAttachments []MediaAttachment `json:"media_attachments"`
	Emojis           []CustomEmoji     `json:"emojis"`
}

// getStatusHistory serves GET /api/v1/statuses/{id}/history: every
// version, oldest first (just the current one if never edited).
func (s *Server) getStatusHistory(w http.ResponseWriter, r *http.Request) error {
	st, _, err := s.statusForReader(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	author, err := s.st.GetAccount(ctx, st.AccountID)
	if err != nil {
		return err
	}
	acct, err := s.accountJSON(ctx, author)
	if err != nil {
		return err
	}
	edits, err := s.st.ListStatusEdits(ctx, st.ID)
	if err != nil {
		return err
	}
	if len(edits) == 0 {
		edits = []store.StatusEdit{{Content: st.Content, SpoilerText: st.SpoilerText, Sensitive: st.Sensitive, CreatedAt: st.CreatedAt}}
	}
	out := make([]statusEdit, 0, len(edits))
	for _, e := range edits {
		out = append(out, statusEdit{Content: e.Content, SpoilerText: e.SpoilerText, Sensitive: e.Sensitive,
			CreatedAt: mastoTime(e.CreatedAt), Account: acct, MediaAttachments: []MediaAttachment{}, Emojis: emojisJSON(st.Emojis)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getStatusSource serves GET /api/v1/statuses/{id}/source, for editing.
func (s *Server) getStatusSource(w http.ResponseWriter, r *http.Request) error {
	st, err := s.statusFor(r)
	if err != nil {
		return err
	}
	if !st.Local {
		return errNotFound
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": store.FormatID(st.ID), "text": st.Source, "spoiler_text": st.SpoilerText})
	return nil
}

// putStatus edits one of the owner's statuses (text, content warning,
// sensitivity) and federates the edit.
func (s *Server) putStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.statusFor(r)
	if err != nil {
		return err
	}
	if !st.Local || st.ReblogOfID != nil {
		return errNotFound
	}
	p, err := params(r)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%s", err)
	}
	text := p.Get("status")
	spoiler := strings.TrimSpace(p.Get("spoiler_text"))
	if strings.TrimSpace(text) == "" {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
	}
	if utf8.RuneCountInString(text)+utf8.RuneCountInString(spoiler) > maxStatusChars {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Text character limit of %d exceeded", maxStatusChars)
	}
	ctx := r.Context()
	html, _, _ := s.md.Post(text, s.profileLinker(ctx))
	edited, err := s.fed.Edit(ctx, st, html, text, spoiler, truthy(p.Get("sensitive")))
	if err != nil {
		return err
	}
	return s.writeStatus(w, r, edited)
}

func firstNonEmptyString(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// getPoll serves GET /api/v1/polls/{id} (the id of a poll is its status's).
func (s *Server) getPoll(w http.ResponseWriter, r *http.Request) error {
	st, isOwner, err := s.statusForReader(r)
	if err != nil {
		return err
	}
	render := s.statusJSON
	if !isOwner {
		render = s.publicStatusJSON
	}
	v, err := render(r.Context(), st)
	if err != nil {
		return err
	}
	if v.Poll == nil {
		return errNotFound
	}
	writeJSON(w, http.StatusOK, v.Poll)
	return nil
}

// postPollVotes serves POST /api/v1/polls/{id}/votes (choices[]).
func (s *Server) postPollVotes(w http.ResponseWriter, r *http.Request) error {
	st, err := s.statusFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%s", err)
	}
	var choices []int
	for _, c := range p["choices"] {
		n, ok := store.ParseID(c)
		if c == "0" {
			n, ok = 0, true
		}
		if !ok {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: choices must be option numbers")
		}
		choices = append(choices, int(n))
	}
	if voted, err := s.st.PollVotes(r.Context(), st.ID, mustOwnerID(r.Context(), s)); err == nil && len(voted) > 0 {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: You have already voted on this poll")
	}
	if err := s.fed.Vote(r.Context(), st, choices); err != nil {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: %s", err)
	}
	return s.getPoll(w, r)
}

func mustOwnerID(ctx context.Context, s *Server) int64 {
	o, err := s.owner(ctx)
	if err != nil {
		return 0
	}
	return o.ID
}
