package ap

import (
	"context"
	"errors"

	"roost/store"
)

// Report sends a Flag about target, and those of statuses that are its,
// to target's server, so that its moderators see the owner's report
// (FEDERATION.md §5.5, fx:mastodon_flag_report.json). Mastodon sends it
// as its instance actor; Roost has one user and sends it as the owner.
// The Flag is queued like any delivery; the report itself is the
// caller's to store.
func (f *Federation) Report(ctx context.Context, target *store.Account, statuses []*store.Status, comment string) error {
	if target.Local() {
		return errors.New("only remote accounts are reported to their server")
	}
	objects := []string{target.URI}
	for _, st := range statuses {
		if st.AccountID == target.ID && st.URI != "" {
			objects = append(objects, st.URI)
		}
	}
	act := &Object{ID: f.cfg.URLs.Actor() + "#flags/" + store.FormatID(f.st.NewID()), Type: "Flag",
		Actor: IRIs(f.cfg.URLs.Actor()), Object: IRIs(objects...), Content: comment, To: IRIs(target.URI)}
	return f.sendIn(ctx, nil, act, []*store.Account{target})
}

// handleFlag records a report about the owner from another server. The
// objects are the reported actor and statuses; a Flag that names neither
// the owner nor any of the owner's statuses is not ours to keep. The
// report is stored under the account that sent it (Mastodon's "reporter",
// usually the peer's instance actor) and logged; there is no moderation
// queue in a single-user server beyond that.
func (f *Federation) handleFlag(ctx context.Context, signer *store.Account, act *Object) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	aboutOwner := false
	var ids []int64
	for _, id := range act.Object.IDs() {
		if id == owner.URI {
			aboutOwner = true
			continue
		}
		st, err := f.st.GetStatusByURI(ctx, id)
		if err != nil || st.AccountID != owner.ID {
			continue // not ours, or gone
		}
		aboutOwner = true
		ids = append(ids, st.ID)
	}
	if !aboutOwner {
		return nil
	}
	r := &store.Report{AccountID: signer.ID, StatusIDs: ids, Comment: act.Content, Category: "other", CreatedAt: f.now()}
	if err := f.st.InsertReport(ctx, r); err != nil {
		return err
	}
	f.log.Info("report received", "from", signer.URI, "report_id", r.ID, "statuses", len(ids))
	return nil
}
