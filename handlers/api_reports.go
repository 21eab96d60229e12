package handlers

import (
	"net/http"
	"unicode/utf8"

	"roost/store"
)

// reportCategories are Mastodon's report categories.
var reportCategories = map[string]bool{"spam": true, "legal": true, "violation": true, "other": true}

// maxReportComment is Mastodon's limit on a report's comment.
const maxReportComment = 1000

// Report is Mastodon's Report entity.
type Report struct {
	ID            string   `json:"id"`
	ActionTaken   bool     `json:"action_taken"`
	ActionTakenAt *string  `json:"action_taken_at"`
	Category      string   `json:"category"`
	Comment       string   `json:"comment"`
	Forwarded     bool     `json:"forwarded"`
	CreatedAt     string   `json:"created_at"`
	StatusIDs     []string `json:"status_ids"`
	RuleIDs       []string `json:"rule_ids"`
	TargetAccount *Account `json:"target_account"`
}

// postReport is POST /api/v1/reports. The report is stored first; with
// forward=true and a remote account, a Flag also goes to the account's
// server, as Mastodon forwards only when asked. Rule ids are answered but
// not kept: Roost has no instance rules.
func (s *Server) postReport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := params(r)
	if err != nil {
		return err
	}
	id, ok := store.ParseID(p.Get("account_id"))
	if !ok {
		return errorf(http.StatusNotFound, "Record not found")
	}
	target, err := s.st.GetAccount(ctx, id)
	if err != nil {
		return err
	}
	category := p.Get("category")
	if category == "" {
		category = "other"
		if len(p["rule_ids"]) > 0 {
			category = "violation"
		}
	}
	if !reportCategories[category] {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Category is not included in the list")
	}
	comment := p.Get("comment")
	if utf8.RuneCountInString(comment) > maxReportComment {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Comment is too long (maximum is %d characters)", maxReportComment)
	}
	var statuses []*store.Status
	for _, idText := range p["status_ids"] {
		sid, _ := store.ParseID(idText)
		st, err := s.st.GetStatus(ctx, sid)
		if err != nil || st.AccountID != target.ID {
			continue // Mastodon keeps only the target's statuses
		}
		statuses = append(statuses, st)
	}
	rep := &store.Report{AccountID: target.ID, Comment: comment, Category: category,
		Forwarded: truthy(p.Get("forward")) && !target.Local(), CreatedAt: s.oauth.clock()}
	for _, st := range statuses {
		rep.StatusIDs = append(rep.StatusIDs, st.ID)
	}
	if err := s.st.InsertReport(ctx, rep); err != nil {
		return err
	}
	if rep.Forwarded {
		if err := s.fed.Report(ctx, target, statuses, comment); err != nil {
			return err
		}
	}
	acct, err := s.accountJSON(ctx, target)
	if err != nil {
		return err
	}
	v := &Report{ID: store.FormatID(rep.ID), Category: rep.Category, Comment: rep.Comment, Forwarded: rep.Forwarded,
		CreatedAt: mastoTime(rep.CreatedAt), StatusIDs: []string{}, RuleIDs: []string{}, TargetAccount: acct}
	for _, sid := range rep.StatusIDs {
		v.StatusIDs = append(v.StatusIDs, store.FormatID(sid))
	}
	v.RuleIDs = append(v.RuleIDs, p["rule_ids"]...)
	writeJSON(w, http.StatusOK, v)
	return nil
}
