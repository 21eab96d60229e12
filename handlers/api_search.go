package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// tagJSON is Mastodon's Tag entity, as search returns it.
type tagJSON struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	History []any  `json:"history"`
}

// searchResults is Mastodon's Search entity.
type searchResults struct {
	Accounts []*Account `json:"accounts"`
	Statuses []*Status  `json:"statuses"`
	Hashtags []tagJSON  `json:"hashtags"`
}

// getSearch serves GET /api/v2/search (q, type, resolve, limit). With
// resolve, a handle is looked up by WebFinger and a URL is fetched from
// its server, as a person pasting a link into the app expects.
func (s *Server) getSearch(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	text := strings.TrimSpace(q.Get("q"))
	typ := q.Get("type")
	limit := limitParam(q.Get("limit"), 20, 40)
	isOwner, err := readerIsOwner(r, "read:search")
	if err != nil {
		return err
	}
	// Resolving makes Roost fetch from other servers, and statuses may be
	// private: both are for the owner only.
	resolve := truthy(q.Get("resolve")) && isOwner
	ctx := r.Context()
	out := searchResults{Accounts: []*Account{}, Statuses: []*Status{}, Hashtags: []tagJSON{}}
	if text == "" {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	if !isOwner && typ == "statuses" {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	if (strings.HasPrefix(text, "https://") || strings.HasPrefix(text, "http://")) && isOwner {
		if err := s.searchURL(ctx, text, resolve, &out); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	if typ == "" || typ == "accounts" {
		accts, err := s.findAccounts(ctx, text, resolve, limit)
		if err != nil {
			return err
		}
		if out.Accounts, err = s.accountsJSON(ctx, accts); err != nil {
			return err
		}
	}
	if typ == "" || typ == "hashtags" {
		names, err := s.st.SearchTags(ctx, strings.TrimPrefix(text, "#"), limit)
		if err != nil {
			return err
		}
		for _, n := range names {
			out.Hashtags = append(out.Hashtags, tagJSON{Name: n, URL: s.urls.Tag(n), History: []any{}})
		}
	}
	if isOwner && (typ == "" || typ == "statuses") {
		list, err := s.st.SearchStatuses(ctx, text, limit)
		if err != nil {
			return err
		}
		if out.Statuses, err = s.statusesJSON(ctx, list); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// searchURL finds the status or account at u: known already, or fetched
// from its origin when resolving.
func (s *Server) searchURL(ctx context.Context, u string, resolve bool, out *searchResults) error {
	if st, err := s.st.GetStatusByURL(ctx, u); err == nil {
		v, err := s.statusJSON(ctx, st)
		if err != nil {
			return err
		}
		out.Statuses = append(out.Statuses, v)
		return nil
	}
	if a, err := s.st.GetAccountByURL(ctx, u); err == nil {
		v, err := s.accountJSON(ctx, a)
		if err != nil {
			return err
		}
		out.Accounts = append(out.Accounts, v)
		return nil
	}
	if !resolve {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	st, a, err := s.fed.Resolve(rctx, u)
	if err != nil {
		return nil // nothing found is an empty result, not an error
	}
	if st != nil {
		v, err := s.statusJSON(ctx, st)
		if err != nil {
			return err
		}
		out.Statuses = append(out.Statuses, v)
	}
	if a != nil {
		v, err := s.accountJSON(ctx, a)
		if err != nil {
			return err
		}
		out.Accounts = append(out.Accounts, v)
	}
	return nil
}
