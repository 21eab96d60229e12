package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"roost/store"
)

// apiPage reads max_id, since_id, min_id and limit as Mastodon does.
func apiPage(q url.Values, def, maxLimit int) store.Page {
	p := pageFromQuery(q, def)
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		p.Limit = min(n, maxLimit)
	}
	return p
}

// setLinkHeader writes the Link header that infinite scroll needs:
// rel="next" for older items (max_id) and rel="prev" for newer ones
// (min_id), keeping the request's other parameters.
func (s *Server) setLinkHeader(w http.ResponseWriter, r *http.Request, newest, oldest string) {
	if newest == "" || oldest == "" {
		return
	}
	link := func(key, id string) string {
		q := r.URL.Query()
		q.Del("max_id")
		q.Del("min_id")
		q.Del("since_id")
		q.Set(key, id)
		return s.cfg.BaseURL + r.URL.Path + "?" + q.Encode()
	}
	w.Header().Set("Link", `<`+link("max_id", oldest)+`>; rel="next", <`+link("min_id", newest)+`>; rel="prev"`)
}

// writeAccounts renders a page of accounts with its Link header; ids are
// the paging ids of the rows (follow or favourite ids, say).
func (s *Server) writeAccounts(w http.ResponseWriter, r *http.Request, accts []*store.Account, ids []int64) error {
	out, err := s.accountsJSON(r.Context(), accts)
	if err != nil {
		return err
	}
	if n := len(ids); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(ids[0]), store.FormatID(ids[n-1]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
