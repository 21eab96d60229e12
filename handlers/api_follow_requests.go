package handlers

import (
	"net/http"

	"roost/store"
)

// getFollowRequests serves GET /api/v1/follow_requests: accounts waiting
// for the owner's approval (a locked account).
func (s *Server) getFollowRequests(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	accts, ids, err := s.st.ListFollowRequests(r.Context(), owner.ID, apiPage(r.URL.Query(), 40, 80))
	if err != nil {
		return err
	}
	return s.writeAccounts(w, r, accts, ids)
}

// answerFollowRequest serves authorize and reject: the requester gets an
// Accept or Reject of their Follow.
func (s *Server) answerFollowRequest(accept bool) handlerFunc {
	return s.relationshipAction(func(r *http.Request, a *store.Account) error {
		return s.fed.AnswerFollowRequest(r.Context(), a, accept)
	})
}
