package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"roost/store"
)

// Lists: the owner's lists of followed accounts, each with its own
// timeline. https://docs.joinmastodon.org/methods/lists/

// List is a Mastodon List.
type List struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	RepliesPolicy string `json:"replies_policy"`
	Exclusive     bool   `json:"exclusive"`
}

func listJSON(l *store.List) List {
	return List{ID: store.FormatID(l.ID), Title: l.Title, RepliesPolicy: l.RepliesPolicy, Exclusive: l.Exclusive}
}

func listsJSON(ls []*store.List) []List {
	out := make([]List, 0, len(ls))
	for _, l := range ls {
		out = append(out, listJSON(l))
	}
	return out
}

func (s *Server) listFor(r *http.Request) (*store.List, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.st.GetList(r.Context(), id)
}

// getLists serves GET /api/v1/lists.
func (s *Server) getLists(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.st.ListLists(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listsJSON(ls))
	return nil
}

// getList serves GET /api/v1/lists/{id}.
func (s *Server) getList(w http.ResponseWriter, r *http.Request) error {
	l, err := s.listFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listJSON(l))
	return nil
}

// postList serves POST /api/v1/lists (title, replies_policy, exclusive).
func (s *Server) postList(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	l := &store.List{RepliesPolicy: store.RepliesList}
	if err := readListParams(p, l, true); err != nil {
		return err
	}
	if err := s.st.InsertList(r.Context(), l); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listJSON(l))
	return nil
}

// putList serves PUT /api/v1/lists/{id}: the attributes given change.
func (s *Server) putList(w http.ResponseWriter, r *http.Request) error {
	l, err := s.listFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return err
	}
	if err := readListParams(p, l, false); err != nil {
		return err
	}
	if err := s.st.UpdateList(r.Context(), l); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listJSON(l))
	return nil
}

func readListParams(p url.Values, l *store.List, creating bool) error {
	if _, ok := p["title"]; ok || creating {
		l.Title = strings.TrimSpace(p.Get("title"))
		if l.Title == "" {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Title can't be blank")
		}
	}
	if v := p.Get("replies_policy"); v != "" {
		if v != store.RepliesFollowed && v != store.RepliesList && v != store.RepliesNone {
			return errorf(http.StatusUnprocessableEntity, "'%s' is not a valid replies_policy", v)
		}
		l.RepliesPolicy = v
	}
	if v, ok := p["exclusive"]; ok && len(v) > 0 {
		l.Exclusive = railsBool(v[0], false)
	}
	return nil
}

// deleteList serves DELETE /api/v1/lists/{id}.
func (s *Server) deleteList(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.st.DeleteList(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// getListAccounts serves GET /api/v1/lists/{id}/accounts, paged by
// account id; limit=0 answers every member at once, as Mastodon does.
func (s *Server) getListAccounts(w http.ResponseWriter, r *http.Request) error {
	l, err := s.listFor(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	if q.Get("limit") != "0" {
		accts, ids, err := s.st.ListListAccounts(ctx, l.ID, apiPage(q, 40, 80))
		if err != nil {
			return err
		}
		return s.writeAccounts(w, r, accts, ids)
	}
	var all []*store.Account
	for p := (store.Page{Limit: store.MaxLimit}); ; {
		accts, ids, err := s.st.ListListAccounts(ctx, l.ID, p)
		if err != nil {
			return err
		}
		all = append(all, accts...)
		if len(accts) < p.Limit {
			break
		}
		p.MaxID = ids[len(ids)-1]
	}
	out, err := s.accountsJSON(ctx, all)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listAccountIDs reads account_ids[]: every one must be a known account
// (404 otherwise, as Mastodon's Account.find).
func (s *Server) listAccountIDs(r *http.Request) ([]int64, error) {
	p, err := params(r)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, v := range p["account_ids"] {
		id, ok := store.ParseID(v)
		if !ok {
			return nil, errNotFound
		}
		if _, err := s.st.GetAccount(r.Context(), id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// postListAccounts serves POST /api/v1/lists/{id}/accounts: only
// accounts the owner follows (or has asked to follow) may be added.
func (s *Server) postListAccounts(w http.ResponseWriter, r *http.Request) error {
	l, err := s.listFor(r)
	if err != nil {
		return err
	}
	ids, err := s.listAccountIDs(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, err := s.st.GetFollow(ctx, owner.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Account must be followed before it can be added to a list")
		}
		if err != nil {
			return err
		}
	}
	if err := s.st.AddListAccounts(ctx, l.ID, ids); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// deleteListAccounts serves DELETE /api/v1/lists/{id}/accounts.
func (s *Server) deleteListAccounts(w http.ResponseWriter, r *http.Request) error {
	l, err := s.listFor(r)
	if err != nil {
		return err
	}
	ids, err := s.listAccountIDs(r)
	if err != nil {
		return err
	}
	if err := s.st.RemoveListAccounts(r.Context(), l.ID, ids); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// getAccountLists serves GET /api/v1/accounts/{id}/lists: the owner's
// lists the account is in.
func (s *Server) getAccountLists(w http.ResponseWriter, r *http.Request) error {
	a, err := s.accountFor(r)
	if err != nil {
		return err
	}
	ls, err := s.st.ListsWithAccount(r.Context(), a.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listsJSON(ls))
	return nil
}

// getListTimeline serves GET /api/v1/timelines/list/{id}.
func (s *Server) getListTimeline(w http.ResponseWriter, r *http.Request) error {
	l, err := s.listFor(r)
	if err != nil {
		return err
	}
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	list, err := s.st.ListListTimeline(r.Context(), l, owner.ID, apiPage(r.URL.Query(), 20, 40))
	if err != nil {
		return err
	}
	return s.writeStatuses(w, r, list)
}
