package handlers

import (
	"context"
	"errors"
	"net/http"

	"roost/store"
)

// Direct-message conversations (GET /api/v1/conversations and friends)
// and conversation mutes.

// getConversations serves GET /api/v1/conversations: one entry per
// direct-message thread the owner is in, newest first, paged by the id of
// each thread's last status.
func (s *Server) getConversations(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	list, err := s.st.ListConversations(ctx, owner.ID, apiPage(r.URL.Query(), 20, 40))
	if err != nil {
		return err
	}
	out := make([]*Conversation, 0, len(list))
	for _, c := range list {
		v, err := s.conversationRowJSON(ctx, owner, c)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	if n := len(list); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(list[0].LastStatusID), store.FormatID(list[n-1].LastStatusID))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// conversationRowJSON renders a conversation: unread while its last status
// is someone else's and newer than what the owner marked read.
func (s *Server) conversationRowJSON(ctx context.Context, owner *store.Account, c *store.Conversation) (*Conversation, error) {
	st, err := s.st.GetStatus(ctx, c.LastStatusID)
	if err != nil {
		return nil, err
	}
	v, err := s.conversationJSON(ctx, st)
	if err != nil {
		return nil, err
	}
	v.Unread = st.AccountID != owner.ID && st.ID > c.LastReadID
	return v, nil
}

// conversationFor finds the conversation {id}. Its id is a hash of the
// thread's URI (conversationID), so the owner's threads are searched for
// it; a single person has few.
func (s *Server) conversationFor(r *http.Request) (*store.Account, *store.Conversation, error) {
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return nil, nil, err
	}
	want := r.PathValue("id")
	p := store.Page{Limit: store.MaxLimit}
	for {
		list, err := s.st.ListConversations(ctx, owner.ID, p)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range list {
			st, err := s.st.GetStatus(ctx, c.LastStatusID)
			if err != nil {
				return nil, nil, err
			}
			if conversationID(st) == want {
				return owner, c, nil
			}
		}
		if len(list) < p.Limit {
			return nil, nil, errNotFound
		}
		p.MaxID = list[len(list)-1].LastStatusID
	}
}

// deleteConversation serves DELETE /api/v1/conversations/{id}: the thread
// leaves the list until someone writes in it again.
func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	_, c, err := s.conversationFor(r)
	if err != nil {
		return err
	}
	if err := s.st.HideConversation(r.Context(), c.Key, c.LastStatusID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// postConversationRead serves POST /api/v1/conversations/{id}/read.
func (s *Server) postConversationRead(w http.ResponseWriter, r *http.Request) error {
	owner, c, err := s.conversationFor(r)
	if err != nil {
		return err
	}
	if err := s.st.MarkConversationRead(r.Context(), c.Key, c.LastStatusID); err != nil {
		return err
	}
	c.LastReadID = c.LastStatusID
	v, err := s.conversationRowJSON(r.Context(), owner, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// muteConversation serves POST /api/v1/statuses/{id}/mute and /unmute:
// no more notifications of mentions in the status's thread.
func (s *Server) muteConversation(on bool) handlerFunc {
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
		if err := s.st.SetConversationMuted(r.Context(), store.ConversationKey(st), on); err != nil {
			return err
		}
		return s.writeStatus(w, r, st)
	}
}

// conversationMuted is the owner's muted flag of st's thread.
func (r *renderer) conversationMuted(ctx context.Context, st *store.Status) (*bool, error) {
	key := store.ConversationKey(st)
	if r.pre != nil {
		if muted, ok := r.pre.muted[key]; ok {
			return &muted, nil
		}
	}
	muted, err := r.s.st.ConversationMuted(ctx, key)
	if err != nil {
		return nil, err
	}
	return &muted, nil
}
