package store

import (
	"context"
	"fmt"
)

// ListHomeTimeline lists the owner's home timeline, newest first: the
// owner's statuses and boosts and those of the accounts the owner follows
// (their boosts only where the follow shows boosts). Roost stores little
// beyond what the owner follows, so walking the statuses by id finds a page
// quickly.
func (s *Store) ListHomeTimeline(ctx context.Context, ownerID int64, p Page) ([]*Status, error) {
	where, args, tail, asc := p.clause("s.id")
	q := `SELECT ` + prefixed("s.", statusColumns) + ` FROM statuses s
		LEFT JOIN follows f ON f.account_id = ? AND f.target_account_id = s.account_id AND f.pending = 0
		WHERE (s.account_id = ? OR (f.id IS NOT NULL AND (s.reblog_of_id IS NULL OR f.show_reblogs = 1) AND NOT EXISTS (SELECT 1 FROM list_accounts la JOIN lists l ON l.id = la.list_id WHERE la.account_id = s.account_id AND l.exclusive = 1)) OR (s.visibility = 'public' AND s.reblog_of_id IS NULL AND ` + hasFollowedTag + `))` + where + tail
	out, err := scanStatuses(s.query(ctx, q, append([]any{ownerID, ownerID}, args...)...))
	if err != nil {
		return nil, fmt.Errorf("home timeline: %w", err)
	}
	if asc {
		reverse(out)
	}
	return out, nil
}

// PublicFilter narrows the public timelines.
type PublicFilter struct {
	Local     bool // only the owner's
	Remote    bool // only others'
	OnlyMedia bool
	Tag       string // only statuses with this hashtag
}

// ListPublicTimeline lists public statuses (no boosts), newest first.
func (s *Store) ListPublicTimeline(ctx context.Context, f PublicFilter, p Page) ([]*Status, error) {
	q := `SELECT ` + prefixed("s.", statusColumns) + ` FROM statuses s WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL`
	var args []any
	switch {
	case f.Local:
		q += ` AND s.local = 1`
	case f.Remote:
		q += ` AND s.local = 0`
	}
	if f.OnlyMedia {
		q += ` AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)`
	}
	if f.Tag != "" {
		q += ` AND s.id IN (SELECT st.status_id FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE t.name = ?)`
		args = append(args, f.Tag)
	}
	where, pargs, tail, asc := p.clause("s.id")
	out, err := scanStatuses(s.query(ctx, q+where+tail, append(args, pargs...)...))
	if err != nil {
		return nil, fmt.Errorf("public timeline: %w", err)
	}
	if asc {
		reverse(out)
	}
	return out, nil
}
