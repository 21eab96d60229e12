package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"roost/store"
)

// httpError is an error with the status and the message a client may see;
// Err is the internal cause, logged but never shown.
type httpError struct {
	Code int
	Msg  string
	Err  error
}

func (e *httpError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Code, e.Msg)
}

func (e *httpError) Unwrap() error { return e.Err }

func errorf(code int, format string, args ...any) *httpError {
	return &httpError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

var errNotFound = &httpError{Code: http.StatusNotFound, Msg: "Record not found"}

// classify turns any error into the status and message to send, logging
// server faults once.
func (s *Server) classify(r *http.Request, err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		if he.Code >= 500 {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		return he.Code, he.Msg
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "Record not found"
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, "Internal server error"
}

// handlerFunc is a handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// api adapts a Mastodon API handler: errors become {"error": "…"}.
func (s *Server) api(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			code, msg := s.classify(r, err)
			writeJSON(w, code, map[string]string{"error": msg})
		}
	}
}

// ap adapts an ActivityPub or well-known handler: errors are a bare status
// with a short text body.
func (s *Server) ap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			code, msg := s.classify(r, err)
			http.Error(w, msg, code)
		}
	}
}

// page adapts an HTML page handler: errors become an HTML error page.
func (s *Server) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			code, msg := s.classify(r, err)
			s.renderError(w, r, code, msg)
		}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	writeJSONType(w, code, "application/json; charset=utf-8", v)
}

func writeJSONType(w http.ResponseWriter, code int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here: our types always encode.
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	w.Write(b)
}
