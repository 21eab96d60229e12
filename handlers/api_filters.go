package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"roost/store"
)

// Filters: /api/v2/filters with keywords and statuses, and the v1
// endpoints older apps still use, each v1 filter being one keyword of a
// v2 filter (its id the keyword's id), as Mastodon maps them.
// https://docs.joinmastodon.org/methods/filters/

// Filter is a Mastodon Filter. Keywords and Statuses are left out inside
// a FilterResult (nil there, never nil elsewhere).
type Filter struct {
	ID           string          `json:"id"`
	Title        string          `json:"title"`
	Context      []string        `json:"context"`
	ExpiresAt    *string         `json:"expires_at"`
	FilterAction string          `json:"filter_action"`
	Keywords     []FilterKeyword `json:"keywords,omitzero"`
	Statuses     []FilterStatus  `json:"statuses,omitzero"`
}

// FilterKeyword is a Mastodon FilterKeyword.
type FilterKeyword struct {
	ID        string `json:"id"`
	Keyword   string `json:"keyword"`
	WholeWord bool   `json:"whole_word"`
}

// FilterStatus is a Mastodon FilterStatus.
type FilterStatus struct {
	ID       string `json:"id"`
	StatusID string `json:"status_id"`
}

// FilterResult is a Mastodon FilterResult: which filter a status matched,
// and by which keywords or status ids (null when none).
type FilterResult struct {
	Filter         Filter   `json:"filter"`
	KeywordMatches []string `json:"keyword_matches"`
	StatusMatches  []string `json:"status_matches"`
}

// V1Filter is a Mastodon V1::Filter.
type V1Filter struct {
	ID           string   `json:"id"`
	Phrase       string   `json:"phrase"`
	Context      []string `json:"context"`
	WholeWord    bool     `json:"whole_word"`
	ExpiresAt    *string  `json:"expires_at"`
	Irreversible bool     `json:"irreversible"`
}

func filterJSON(f *store.Filter, full bool) Filter {
	v := Filter{ID: store.FormatID(f.ID), Title: f.Title, Context: f.Context, ExpiresAt: mastoTimePtr(f.ExpiresAt),
		FilterAction: f.Action}
	if v.Context == nil {
		v.Context = []string{}
	}
	if full {
		v.Keywords, v.Statuses = []FilterKeyword{}, []FilterStatus{}
		for _, k := range f.Keywords {
			v.Keywords = append(v.Keywords, filterKeywordJSON(k))
		}
		for _, fs := range f.Statuses {
			v.Statuses = append(v.Statuses, filterStatusJSON(fs))
		}
	}
	return v
}

func filterKeywordJSON(k *store.FilterKeyword) FilterKeyword {
	return FilterKeyword{ID: store.FormatID(k.ID), Keyword: k.Keyword, WholeWord: k.WholeWord}
}

func filterStatusJSON(fs *store.FilterStatus) FilterStatus {
	return FilterStatus{ID: store.FormatID(fs.ID), StatusID: store.FormatID(fs.StatusID)}
}

func v1FilterJSON(f *store.Filter, k *store.FilterKeyword) V1Filter {
	v := V1Filter{ID: store.FormatID(k.ID), Phrase: k.Keyword, Context: f.Context, WholeWord: k.WholeWord,
		ExpiresAt: mastoTimePtr(f.ExpiresAt), Irreversible: f.Action == store.FilterHide}
	if v.Context == nil {
		v.Context = []string{}
	}
	return v
}

// pathID reads the path value name as an id; 404 when it is not one.
func pathID(r *http.Request, name string) (int64, error) {
	id, ok := store.ParseID(r.PathValue(name))
	if !ok {
		return 0, errNotFound
	}
	return id, nil
}

func (s *Server) filterFor(r *http.Request) (*store.Filter, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.st.GetFilter(r.Context(), id)
}

// getFilters serves GET /api/v2/filters.
func (s *Server) getFilters(w http.ResponseWriter, r *http.Request) error {
	all, err := s.st.ListFilters(r.Context())
	if err != nil {
		return err
	}
	out := make([]Filter, 0, len(all))
	for _, f := range all {
		out = append(out, filterJSON(f, true))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getFilter serves GET /api/v2/filters/{id}.
func (s *Server) getFilter(w http.ResponseWriter, r *http.Request) error {
	f, err := s.filterFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterJSON(f, true))
	return nil
}

// postFilter serves POST /api/v2/filters: title, context[],
// filter_action, expires_in and keywords_attributes[].
func (s *Server) postFilter(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	f := &store.Filter{Action: store.FilterWarn}
	if err := readFilterParams(p, f, true); err != nil {
		return err
	}
	for _, attrs := range nestedList(p, "keywords_attributes") {
		if truthy(attrs["_destroy"]) {
			continue
		}
		k := &store.FilterKeyword{Keyword: attrs["keyword"], WholeWord: boolParam(attrs, "whole_word", true)}
		if strings.TrimSpace(k.Keyword) == "" {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Keywords keyword can't be blank")
		}
		f.Keywords = append(f.Keywords, k)
	}
	if err := s.st.InsertFilter(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterJSON(f, true))
	return nil
}

// putFilter serves PUT /api/v2/filters/{id}: what postFilter takes, each
// given attribute replacing the old; keywords_attributes entries with an
// id change or (with _destroy) remove that keyword.
func (s *Server) putFilter(w http.ResponseWriter, r *http.Request) error {
	f, err := s.filterFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return err
	}
	if err := readFilterParams(p, f, false); err != nil {
		return err
	}
	edits, err := keywordEdits(f, nestedList(p, "keywords_attributes"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.st.UpdateFilter(ctx, f, edits); err != nil {
		return err
	}
	if f, err = s.st.GetFilter(ctx, f.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterJSON(f, true))
	return nil
}

// keywordEdits turns keywords_attributes into edits of f's keywords.
func keywordEdits(f *store.Filter, list []map[string]string) ([]store.KeywordEdit, error) {
	var edits []store.KeywordEdit
	for _, attrs := range list {
		e := store.KeywordEdit{Keyword: attrs["keyword"], WholeWord: boolParam(attrs, "whole_word", true),
			Destroy: truthy(attrs["_destroy"])}
		if id := attrs["id"]; id != "" {
			var ok bool
			if e.ID, ok = store.ParseID(id); !ok {
				return nil, errNotFound
			}
			i := slices.IndexFunc(f.Keywords, func(k *store.FilterKeyword) bool { return k.ID == e.ID })
			if i < 0 {
				return nil, errNotFound
			}
			old := f.Keywords[i]
			if _, ok := attrs["keyword"]; !ok {
				e.Keyword = old.Keyword
			}
			e.WholeWord = boolParam(attrs, "whole_word", old.WholeWord)
		} else if e.Destroy {
			continue
		}
		if !e.Destroy && strings.TrimSpace(e.Keyword) == "" {
			return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Keywords keyword can't be blank")
		}
		edits = append(edits, e)
	}
	return edits, nil
}

// readFilterParams applies title, context, filter_action and expires_in
// to f; creating, title and context are required.
func readFilterParams(p url.Values, f *store.Filter, creating bool) error {
	if _, ok := p["title"]; ok || creating {
		f.Title = strings.TrimSpace(p.Get("title"))
		if f.Title == "" {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Title can't be blank")
		}
	}
	if err := readContextParam(p, f, creating); err != nil {
		return err
	}
	if a, ok := p["filter_action"]; ok && len(a) > 0 {
		if !contains([]string{store.FilterWarn, store.FilterHide, store.FilterBlur}, a[0]) {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Filter action is not included in the list")
		}
		f.Action = a[0]
	}
	return readExpiresIn(p, f)
}

func readContextParam(p url.Values, f *store.Filter, creating bool) error {
	c, ok := p["context"]
	if !ok && !creating {
		return nil
	}
	var out []string
	for _, v := range c {
		if !contains(filterContexts, v) {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Context contains invalid context values")
		}
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Context can't be blank")
	}
	f.Context = out
	return nil
}

// readExpiresIn sets f's expiry from expires_in (seconds from now); an
// empty value removes it.
func readExpiresIn(p url.Values, f *store.Filter) error {
	v, ok := p["expires_in"]
	if !ok {
		return nil
	}
	if len(v) == 0 || v[0] == "" {
		f.ExpiresAt = nil
		return nil
	}
	secs, err := strconv.ParseFloat(v[0], 64)
	if err != nil || secs <= 0 {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Expires in is invalid")
	}
	t := time.Now().Add(time.Duration(secs * float64(time.Second))).UTC()
	f.ExpiresAt = &t
	return nil
}

// deleteFilter serves DELETE /api/v2/filters/{id}.
func (s *Server) deleteFilter(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.st.DeleteFilter(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// The mux cannot tell /api/v2/filters/{id}/keywords from
// /api/v2/filters/keywords/{id} (each matches
// /api/v2/filters/keywords/keywords), so one pattern per method serves
// both shapes and filterSubroute picks.

// filterSubroute serves /api/v2/filters/{a}/{b} with method's handlers:
// byItem for keywords/{id} or statuses/{id}, byFilter for {id}/keywords
// or {id}/statuses.
func (s *Server) filterSubroute(keyword, status, keywordsOf, statusesOf handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, b := r.PathValue("a"), r.PathValue("b")
		var h handlerFunc
		switch {
		case a == "keywords":
			h = keyword
			r.SetPathValue("id", b)
		case a == "statuses":
			h = status
			r.SetPathValue("id", b)
		case b == "keywords":
			h = keywordsOf
			r.SetPathValue("id", a)
		case b == "statuses":
			h = statusesOf
			r.SetPathValue("id", a)
		}
		if h == nil {
			return errNotFound
		}
		return h(w, r)
	}
}

// getFilterKeywords serves GET /api/v2/filters/{id}/keywords.
func (s *Server) getFilterKeywords(w http.ResponseWriter, r *http.Request) error {
	f, err := s.filterFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterJSON(f, true).Keywords)
	return nil
}

// postFilterKeyword serves POST /api/v2/filters/{id}/keywords.
func (s *Server) postFilterKeyword(w http.ResponseWriter, r *http.Request) error {
	f, err := s.filterFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return err
	}
	k := &store.FilterKeyword{FilterID: f.ID, Keyword: p.Get("keyword"), WholeWord: boolParam(flat(p), "whole_word", true)}
	if strings.TrimSpace(k.Keyword) == "" {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Keyword can't be blank")
	}
	if err := s.st.InsertFilterKeyword(r.Context(), k); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterKeywordJSON(k))
	return nil
}

func (s *Server) filterKeywordFor(r *http.Request) (*store.FilterKeyword, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.st.GetFilterKeyword(r.Context(), id)
}

// getFilterKeyword serves GET /api/v2/filters/keywords/{id}.
func (s *Server) getFilterKeyword(w http.ResponseWriter, r *http.Request) error {
	k, err := s.filterKeywordFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterKeywordJSON(k))
	return nil
}

// putFilterKeyword serves PUT /api/v2/filters/keywords/{id}.
func (s *Server) putFilterKeyword(w http.ResponseWriter, r *http.Request) error {
	k, err := s.filterKeywordFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return err
	}
	if v, ok := p["keyword"]; ok {
		if len(v) == 0 || strings.TrimSpace(v[0]) == "" {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Keyword can't be blank")
		}
		k.Keyword = v[0]
	}
	k.WholeWord = boolParam(flat(p), "whole_word", k.WholeWord)
	if err := s.st.UpdateFilterKeyword(r.Context(), k); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterKeywordJSON(k))
	return nil
}

// deleteFilterKeyword serves DELETE /api/v2/filters/keywords/{id}.
func (s *Server) deleteFilterKeyword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.st.DeleteFilterKeyword(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// getFilterStatuses serves GET /api/v2/filters/{id}/statuses.
func (s *Server) getFilterStatuses(w http.ResponseWriter, r *http.Request) error {
	f, err := s.filterFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterJSON(f, true).Statuses)
	return nil
}

// postFilterStatus serves POST /api/v2/filters/{id}/statuses (status_id).
func (s *Server) postFilterStatus(w http.ResponseWriter, r *http.Request) error {
	f, err := s.filterFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return err
	}
	sid, ok := store.ParseID(p.Get("status_id"))
	if !ok {
		return errNotFound
	}
	fs := &store.FilterStatus{FilterID: f.ID, StatusID: sid}
	err = s.st.InsertFilterStatus(r.Context(), fs)
	if errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Status has already been taken")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterStatusJSON(fs))
	return nil
}

// getFilterStatus serves GET /api/v2/filters/statuses/{id}.
func (s *Server) getFilterStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	fs, err := s.st.GetFilterStatus(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, filterStatusJSON(fs))
	return nil
}

// deleteFilterStatus serves DELETE /api/v2/filters/statuses/{id}.
func (s *Server) deleteFilterStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.st.DeleteFilterStatus(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// nestedListKey matches "name[0][field]" and "name[][field]".
var nestedListKey = regexp.MustCompile(`^([a-z_]+)\[(\d*)\]\[([a-z_]+)\]$`)

// nestedList reads an array of objects the way Rails does, from JSON
// ({"name": [{"field": …}]}, which params flattens to "name[0][field]")
// or forms ("name[0][field]=…", or "name[][field]=…" repeated, the n-th
// value of each field then making the n-th object).
func nestedList(p url.Values, name string) []map[string]string {
	indexed := map[int]map[string]string{}
	var unindexed []map[string]string
	for key, vs := range p {
		m := nestedListKey.FindStringSubmatch(key)
		if m == nil || m[1] != name || len(vs) == 0 {
			continue
		}
		if m[2] == "" {
			for len(unindexed) < len(vs) {
				unindexed = append(unindexed, map[string]string{})
			}
			for i, v := range vs {
				unindexed[i][m[3]] = v
			}
			continue
		}
		i, _ := strconv.Atoi(m[2])
		if indexed[i] == nil {
			indexed[i] = map[string]string{}
		}
		indexed[i][m[3]] = vs[0]
	}
	idx := make([]int, 0, len(indexed))
	for i := range indexed {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := unindexed
	for _, i := range idx {
		out = append(out, indexed[i])
	}
	return out
}

// flat is the first value of each parameter.
func flat(p url.Values) map[string]string {
	m := make(map[string]string, len(p))
	for k, v := range p {
		if len(v) > 0 {
			m[k] = v[0]
		}
	}
	return m
}

// boolParam reads a boolean attribute as Rails casts it, def when absent.
func boolParam(attrs map[string]string, key string, def bool) bool {
	return railsBool(attrs[key], def)
}

// railsBool casts a parameter to a boolean as Rails does: "", def.
func railsBool(v string, def bool) bool {
	switch strings.ToLower(v) {
	case "":
		return def
	case "0", "f", "false", "off", "no":
		return false
	}
	return true
}

// V1 filters.

func (s *Server) v1FilterFor(r *http.Request) (*store.Filter, *store.FilterKeyword, error) {
	k, err := s.filterKeywordFor(r)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.st.GetFilter(r.Context(), k.FilterID)
	if err != nil {
		return nil, nil, err
	}
	return f, k, nil
}

// getV1Filters serves GET /api/v1/filters: every keyword of every filter.
func (s *Server) getV1Filters(w http.ResponseWriter, r *http.Request) error {
	all, err := s.st.ListFilters(r.Context())
	if err != nil {
		return err
	}
	out := []V1Filter{}
	for _, f := range all {
		for _, k := range f.Keywords {
			out = append(out, v1FilterJSON(f, k))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getV1Filter serves GET /api/v1/filters/{id}.
func (s *Server) getV1Filter(w http.ResponseWriter, r *http.Request) error {
	f, k, err := s.v1FilterFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v1FilterJSON(f, k))
	return nil
}

// postV1Filter serves POST /api/v1/filters (phrase, context[],
// irreversible, whole_word, expires_in): a new filter titled with the
// phrase, holding it as its one keyword.
func (s *Server) postV1Filter(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	phrase := p.Get("phrase")
	if strings.TrimSpace(phrase) == "" {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Keywords keyword can't be blank")
	}
	f := &store.Filter{Title: phrase, Action: v1Action(flat(p), store.FilterWarn)}
	if err := readContextParam(p, f, true); err != nil {
		return err
	}
	if err := readExpiresIn(p, f); err != nil {
		return err
	}
	k := &store.FilterKeyword{Keyword: phrase, WholeWord: boolParam(flat(p), "whole_word", true)}
	f.Keywords = []*store.FilterKeyword{k}
	if err := s.st.InsertFilter(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v1FilterJSON(f, k))
	return nil
}

func v1Action(p map[string]string, def string) string {
	if _, ok := p["irreversible"]; !ok {
		return def
	}
	if boolParam(p, "irreversible", false) {
		return store.FilterHide
	}
	return store.FilterWarn
}

// putV1Filter serves PUT /api/v1/filters/{id}. As in Mastodon, changing
// the context, action or expiry of a filter with other keywords is
// refused: it would change them too.
func (s *Server) putV1Filter(w http.ResponseWriter, r *http.Request) error {
	f, k, err := s.v1FilterFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return err
	}
	if v, ok := p["phrase"]; ok {
		if len(v) == 0 || strings.TrimSpace(v[0]) == "" {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Keyword can't be blank")
		}
		k.Keyword = v[0]
	}
	k.WholeWord = boolParam(flat(p), "whole_word", k.WholeWord)
	before := *f
	f.Action = v1Action(flat(p), f.Action)
	if err := readContextParam(p, f, false); err != nil {
		return err
	}
	if err := readExpiresIn(p, f); err != nil {
		return err
	}
	changed := f.Action != before.Action || !slices.Equal(f.Context, before.Context) ||
		(f.ExpiresAt == nil) != (before.ExpiresAt == nil) || f.ExpiresAt != nil && !f.ExpiresAt.Equal(*before.ExpiresAt)
	if changed && len(f.Keywords) > 1 {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Cannot change the settings of a filter with several keywords through the v1 API")
	}
	edit := store.KeywordEdit{ID: k.ID, Keyword: k.Keyword, WholeWord: k.WholeWord}
	if err := s.st.UpdateFilter(r.Context(), f, []store.KeywordEdit{edit}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v1FilterJSON(f, k))
	return nil
}

// deleteV1Filter serves DELETE /api/v1/filters/{id}: the keyword goes,
// and its filter with it when nothing else is left in it.
func (s *Server) deleteV1Filter(w http.ResponseWriter, r *http.Request) error {
	f, k, err := s.v1FilterFor(r)
	if err != nil {
		return err
	}
	if len(f.Keywords) == 1 && len(f.Statuses) == 0 {
		err = s.st.DeleteFilter(r.Context(), f.ID)
	} else {
		err = s.st.DeleteFilterKeyword(r.Context(), k.ID)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
