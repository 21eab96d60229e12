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
