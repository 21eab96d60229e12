package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"roost/store"
)

// The owner's lists (bookmarks, favourites, endorsed accounts, mutes,
// blocks, domain blocks), the profile directory, familiar followers and
// translation, which Roost does not offer.

// writeStatusPage renders a page of statuses whose paging ids are not the
// statuses' own (bookmark or favourite ids).
func (s *Server) writeStatusPage(w http.ResponseWriter, r *http.Request, list []*store.Status, ids []int64) error {
	out, err := s.statusesJSON(r.Context(), list)
	if err != nil {
		return err
	}
	if n := len(ids); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(ids[0]), store.FormatID(ids[n-1]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getBookmarks serves GET /api/v1/bookmarks, paged by bookmark id.
func (s *Server) getBookmarks(w http.ResponseWriter, r *http.Request) error {
	list, ids, err := s.st.ListBookmarked(r.Context(), apiPage(r.URL.Query(), 20, 40))
	if err != nil {
		return err
	}
	return s.writeStatusPage(w, r, list, ids)
}

// getFavourites serves GET /api/v1/favourites, paged by favourite id.
func (s *Server) getFavourites(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	list, ids, err := s.st.ListFavourited(r.Context(), owner.ID, apiPage(r.URL.Query(), 20, 40))
	if err != nil {
		return err
	}
	return s.writeStatusPage(w, r, list, ids)
}

// accountPage serves a paged list of accounts.
func (s *Server) accountPage(list func(r *http.Request, p store.Page) ([]*store.Account, []int64, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accts, ids, err := list(r, apiPage(r.URL.Query(), 40, 80))
		if err != nil {
			return err
		}
		return s.writeAccounts(w, r, accts, ids)
	}
}

// GET /api/v1/endorsements, /mutes and /blocks.
func (s *Server) listEndorsed(r *http.Request, p store.Page) ([]*store.Account, []int64, error) {
	return s.st.ListEndorsed(r.Context(), p)
}
func (s *Server) listMuted(r *http.Request, p store.Page) ([]*store.Account, []int64, error) {
	return s.st.ListMuted(r.Context(), p)
}
func (s *Server) listBlocked(r *http.Request, p store.Page) ([]*store.Account, []int64, error) {
	owner, err := s.owner(r.Context())
	if err != nil {
		return nil, nil, err
	}
	return s.st.ListBlocked(r.Context(), owner.ID, p)
}

// endorseAction pins (endorses) an account on the owner's profile, for
// POST /api/v1/accounts/{id}/pin and /unpin. Mastodon endorses only
// accounts one follows.
func (s *Server) endorseAction(on bool) func(r *http.Request, a *store.Account) error {
	return func(r *http.Request, a *store.Account) error {
		if on {
			owner, err := s.owner(r.Context())
			if err != nil {
				return err
			}
			if ok, err := s.st.Follows(r.Context(), owner.ID, a.ID); err != nil {
				return err
			} else if !ok {
				return errorf(http.StatusUnprocessableEntity, "Validation failed: You must be already following the person you want to endorse")
			}
		}
		return s.st.SetEndorsed(r.Context(), a.ID, on)
	}
}

// getDomainBlocks serves GET /api/v1/domain_blocks: the blocked domains as
// strings, paged.
func (s *Server) getDomainBlocks(w http.ResponseWriter, r *http.Request) error {
	domains, ids, err := s.st.ListDomainBlocks(r.Context(), apiPage(r.URL.Query(), 100, 200))
	if err != nil {
		return err
	}
	if n := len(ids); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(ids[0]), store.FormatID(ids[n-1]))
	}
	writeJSON(w, http.StatusOK, domains)
	return nil
}

// domainParam reads and checks the domain parameter.
func domainParam(r *http.Request) (string, error) {
	p, err := params(r)
	if err != nil {
		return "", err
	}
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p.Get("domain"))), ".")
	if d == "" || strings.ContainsAny(d, "/@: ") || !strings.Contains(d, ".") && d != "localhost" {
		return "", errorf(http.StatusUnprocessableEntity, "Validation failed: Domain is not a valid domain name")
	}
	return d, nil
}

// postDomainBlock serves POST /api/v1/domain_blocks (domain). As in
// Mastodon, the owner's follows of accounts there and their follows of the
// owner end with the block; nothing is delivered there any more (ap drops
// blocked domains from every audience).
func (s *Server) postDomainBlock(w http.ResponseWriter, r *http.Request) error {
	d, err := domainParam(r)
	if err != nil {
		return err
	}
	if strings.EqualFold(d, s.urls.Host()) {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Domain cannot be your own")
	}
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	if _, err := s.st.BlockDomainAndSever(r.Context(), owner.ID, d); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// deleteDomainBlock serves DELETE /api/v1/domain_blocks (domain).
func (s *Server) deleteDomainBlock(w http.ResponseWriter, r *http.Request) error {
	d, err := domainParam(r)
	if err != nil {
		return err
	}
	if err := s.st.UnblockDomain(r.Context(), d); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// FamiliarFollowers is Mastodon's FamiliarFollowers entity.
type FamiliarFollowers struct {
	ID       string     `json:"id"`
	Accounts []*Account `json:"accounts"`
}

// getFamiliarFollowers serves GET /api/v1/accounts/familiar_followers
// ?id[]=: the accounts the owner follows that follow each account. Roost
// does not know who follows a remote account, so the honest answer is
// none, for every id asked about.
func (s *Server) getFamiliarFollowers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out := []FamiliarFollowers{}
	for _, id := range append(q["id[]"], q["id"]...) {
		if _, ok := store.ParseID(id); ok {
			out = append(out, FamiliarFollowers{ID: id, Accounts: []*Account{}})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getDirectory serves GET /api/v1/directory (offset, limit, order=active
// or new, local): the discoverable accounts Roost knows, the owner's
// alone with local=true.
func (s *Server) getDirectory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	order := store.DirectoryActive
	if q.Get("order") == "new" {
		order = store.DirectoryNew
	}
	list, err := s.st.ListDirectory(r.Context(), order, truthy(q.Get("local")), max(offset, 0), limitParam(q.Get("limit"), 40, 80))
	if err != nil {
		return err
	}
	out, err := s.accountsJSON(r.Context(), list)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getTranslationLanguages serves GET /api/v1/instance/translation_languages:
// Roost has no translation service, so no pairs.
func (s *Server) getTranslationLanguages(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string][]string{})
	return nil
}

// postTranslate serves POST /api/v1/statuses/{id}/translate, honestly.
func (s *Server) postTranslate(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.statusForReader(r); err != nil {
		return err
	}
	return errorf(http.StatusServiceUnavailable, "Translation is not available on this server")
}
