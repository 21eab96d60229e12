package handlers

import (
	"errors"
	"io"
	"net/http"

	"roost/ap"
)

// postInbox takes activities for the owner's inbox and the shared inbox:
// verified and queued, then 202 at once (FEDERATION.md §4.2).
func (s *Server) postInbox(w http.ResponseWriter, r *http.Request) error {
	if u := r.PathValue("username"); u != "" && u != s.urls.Username {
		return errNotFound
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ap.MaxActivitySize))
	if err != nil {
		return errorf(http.StatusRequestEntityTooLarge, "activity too large")
	}
	err = s.fed.Receive(r.Context(), r, body)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
		return nil
	case errors.Is(err, ap.ErrMalformed):
		return errorf(http.StatusBadRequest, "malformed activity")
	case errors.Is(err, ap.ErrNoSignature):
		return errorf(http.StatusUnauthorized, "request not signed")
	case errors.Is(err, ap.ErrBadSignature):
		s.log.Info("signature rejected", "err", err)
		return errorf(http.StatusUnauthorized, "signature verification failed")
	case errors.Is(err, ap.ErrBlocked):
		return errorf(http.StatusForbidden, "blocked")
	}
	return err
}
