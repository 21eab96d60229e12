package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"roost/ap"
	"roost/markup"
	"roost/store"
)

// Limits the instance entity advertises for posts.
const (
	maxStatusChars    = 5000
	maxPollOptions    = 4
	maxPollOptionLen  = 50
	minPollExpiry     = 5 * 60
	maxPollExpiry     = 2629746
	maxMediaPerStatus = 4
)

var visibilities = map[string]bool{store.Public: true, store.Unlisted: true, store.Private: true, store.Direct: true}

// postStatus publishes a status: POST /api/v1/statuses. The text is the
// owner's Markdown with @mentions and #hashtags linked; the status and its
// deliveries are stored together, and an Idempotency-Key replays the first
// answer.
func (s *Server) postStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if id, err := s.st.IdempotentStatus(ctx, key); err == nil {
			st, err := s.st.GetStatus(ctx, id)
			if err == nil {
				return s.writeStatus(w, r, st)
			}
		}
	}
	p, err := params(r)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%s", err)
	}
	if p.Get("scheduled_at") != "" {
		return s.scheduleStatus(w, r, p)
	}
	in, err := s.postInput(ctx, p)
	if err != nil {
		return err
	}
	st, err := s.fed.Post(ctx, *in)
	if err != nil {
		return err
	}
	if key != "" {
		if err := s.st.RememberIdempotent(ctx, key, st.ID); err != nil {
			return err
		}
	}
	return s.writeStatus(w, r, st)
}

func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, st *store.Status) error {
	v, err := s.statusJSON(r.Context(), st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// postInput validates the parameters of a new status.
func (s *Server) postInput(ctx context.Context, p url.Values) (*ap.PostInput, error) {
	text := p.Get("status")
	in := &ap.PostInput{
		Source:      text,
		SpoilerText: strings.TrimSpace(p.Get("spoiler_text")),
		Sensitive:   truthy(p.Get("sensitive")),
		Visibility:  p.Get("visibility"),
		Language:    p.Get("language"),
	}
	if in.Visibility == "" || p.Get("sensitive") == "" {
		d, err := s.st.GetPostingDefaults(ctx)
		if err != nil {
			return nil, err
		}
		if in.Visibility == "" {
			in.Visibility = d.Privacy
		}
		if p.Get("sensitive") == "" {
			in.Sensitive = d.Sensitive
		}
		if in.Language == "" {
			in.Language = d.Language
		}
	}
	if !visibilities[in.Visibility] {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list")
	}
	if n := utf8.RuneCountInString(text) + utf8.RuneCountInString(in.SpoilerText); n > maxStatusChars {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Text character limit of %d exceeded", maxStatusChars)
	}
	poll, err := pollInput(p)
	if err != nil {
		return nil, err
	}
	in.Poll = poll
	mediaIDs := p["media_ids"]
	if len(mediaIDs) > maxMediaPerStatus {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Media attachments limit of %d exceeded", maxMediaPerStatus)
	}
	if poll != nil && len(mediaIDs) > 0 {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Cannot attach both media and a poll")
	}
	if strings.TrimSpace(text) == "" && len(mediaIDs) == 0 {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
	}
	for _, idText := range mediaIDs {
		id, ok := store.ParseID(idText)
		m, err := s.st.GetMedia(ctx, id)
		if !ok || err != nil || m.StatusID != nil {
			return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: media %s cannot be attached", idText)
		}
		in.Media = append(in.Media, m)
	}
	if idText := p.Get("in_reply_to_id"); idText != "" {
		id, ok := store.ParseID(idText)
		parent, err := s.st.GetStatus(ctx, id)
		if !ok || err != nil {
			return nil, errorf(http.StatusNotFound, "Record not found")
		}
		in.InReplyTo = parent
	}
	var unresolved []string
	html, mentions, tags := s.md.Post(text, markup.Linker{
		Mention: func(m markup.Mention) (string, bool) {
			a, err := s.mentionedAccount(ctx, m)
			if err != nil {
				unresolved = append(unresolved, m.Username)
				return "", false
			}
			if !a.Local() {
				in.Mentions = appendAccountOnce(in.Mentions, a)
			}
			if a.URL != "" {
				return a.URL, true
			}
			return a.URI, true
		},
		Tag: s.urls.Tag,
	})
	_ = mentions
	in.Content, in.Tags = html, tags
	return in, nil
}

// mentionedAccount finds the account a mention names: the owner, a known
// account, or one found now by WebFinger.
func (s *Server) mentionedAccount(ctx context.Context, m markup.Mention) (*store.Account, error) {
	host := m.Host
	if host == "" || strings.EqualFold(host, s.urls.Host()) {
		if strings.EqualFold(m.Username, s.urls.Username) {
			return s.owner(ctx)
		}
		return nil, store.ErrNotFound
	}
	if a, err := s.st.GetAccountByHandle(ctx, m.Username, host); err == nil {
		return a, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.fed.ResolveHandle(ctx, m.Username+"@"+host)
}

func appendAccountOnce(list []*store.Account, a *store.Account) []*store.Account {
	for _, x := range list {
		if x.ID == a.ID {
			return list
		}
	}
	return append(list, a)
}

// pollInput reads poll[options][], poll[expires_in], poll[multiple].
func pollInput(p url.Values) (*store.Poll, error) {
	opts := p["poll[options]"]
	if len(opts) == 0 {
		return nil, nil
	}
	if len(opts) < 2 || len(opts) > maxPollOptions {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Poll must have between 2 and %d options", maxPollOptions)
	}
	poll := &store.Poll{Multiple: truthy(p.Get("poll[multiple]"))}
	for _, o := range opts {
		o = strings.TrimSpace(o)
		if o == "" || utf8.RuneCountInString(o) > maxPollOptionLen {
			return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Poll options must be 1 to %d characters", maxPollOptionLen)
		}
		poll.Options = append(poll.Options, store.PollOption{Title: o})
	}
	secs, err := strconv.Atoi(p.Get("poll[expires_in]"))
	if err != nil || secs < minPollExpiry || secs > maxPollExpiry {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Poll expiration must be between %d and %d seconds", minPollExpiry, maxPollExpiry)
	}
	ends := time.Now().Add(time.Duration(secs) * time.Second)
	poll.ExpiresAt = &ends
	return poll, nil
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "on", "yes":
		return true
	}
	return false
}

// statusFor loads the status {id} the owner may act on.
func (s *Server) statusFor(r *http.Request) (*store.Status, error) {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return nil, errNotFound
	}
	st, err := s.st.GetStatus(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// deleteStatus deletes one of the owner's statuses and answers it with its
// source text, for delete-and-redraft.
func (s *Server) deleteStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.statusFor(r)
	if err != nil {
		return err
	}
	if !st.Local || st.ReblogOfID != nil {
		return errNotFound
	}
	v, err := s.statusJSON(r.Context(), st)
	if err != nil {
		return err
	}
	if err := s.fed.Delete(r.Context(), st); err != nil {
		return err
	}
	v.Text = &st.Source
	writeJSON(w, http.StatusOK, v)
	return nil
}

// statusAction wraps favourite, unfavourite, reblog and unreblog: each
// federates and answers the status as it is now.
func (s *Server) statusAction(act func(ctx context.Context, st *store.Status) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.statusFor(r)
		if err != nil {
			return err
		}
		if st.ReblogOfID != nil {
			if st, err = s.st.GetStatus(r.Context(), *st.ReblogOfID); err != nil {
				return err
			}
		}
		if err := act(r.Context(), st); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return errorf(http.StatusUnprocessableEntity, "%s", err)
		}
		if st, err = s.st.GetStatus(r.Context(), st.ID); err != nil {
			return err
		}
		return s.writeStatus(w, r, st)
	}
}

func (s *Server) reblogAction(ctx context.Context, st *store.Status) error {
	_, err := s.fed.Boost(ctx, st)
	return err
}
