package store

import (
	"context"
	"time"
)

// ExportRow is one account in an export of the owner's relations, with
// what that kind of export keeps about it.
type ExportRow struct {
	Username, Domain string
	ShowReblogs      bool   // following: boosts shown
	Notify           bool   // following: notified of new posts
	Notifications    bool   // mutes: their notifications hidden too
	List             string // lists: the list's title
}

// ExportFollowing lists the accounts ownerID follows (accepted follows,
// as Mastodon exports them), oldest first.
func (s *Store) ExportFollowing(ctx context.Context, ownerID int64) ([]ExportRow, error) {
	return s.exportRows(ctx, `SELECT a.username, a.domain, f.show_reblogs, f.notify, 0, '' FROM follows f
		JOIN accounts a ON a.id = f.target_account_id WHERE f.account_id = ? AND f.pending = 0 ORDER BY f.id`, ownerID)
}

// ExportFollowers lists the accounts following ownerID, oldest first.
func (s *Store) ExportFollowers(ctx context.Context, ownerID int64) ([]ExportRow, error) {
	return s.exportRows(ctx, `SELECT a.username, a.domain, 0, 0, 0, '' FROM follows f
		JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.pending = 0 ORDER BY f.id`, ownerID)
}

// ExportBlocked lists the accounts ownerID blocks, oldest first.
func (s *Store) ExportBlocked(ctx context.Context, ownerID int64) ([]ExportRow, error) {
	return s.exportRows(ctx, `SELECT a.username, a.domain, 0, 0, 0, '' FROM blocks b
		JOIN accounts a ON a.id = b.target_account_id WHERE b.account_id = ? ORDER BY b.id`, ownerID)
}

// ExportMuted lists the accounts the owner mutes now, oldest first.
func (s *Store) ExportMuted(ctx context.Context) ([]ExportRow, error) {
	return s.exportRows(ctx, `SELECT a.username, a.domain, 0, 0, m.notifications, '' FROM mutes m
		JOIN accounts a ON a.id = m.target_account_id WHERE m.expires_at IS NULL OR m.expires_at > ?
		ORDER BY m.created_at, m.target_account_id`, millis(time.Now()))
}

// ExportListMembers lists every list's members as (title, account) rows,
// by list then account.
func (s *Store) ExportListMembers(ctx context.Context) ([]ExportRow, error) {
	return s.exportRows(ctx, `SELECT a.username, a.domain, 0, 0, 0, l.title FROM list_accounts la
		JOIN lists l ON l.id = la.list_id JOIN accounts a ON a.id = la.account_id ORDER BY l.id, a.id`)
}

// ExportDomainBlocks lists the owner's blocked domains, oldest first.
func (s *Store) ExportDomainBlocks(ctx context.Context) ([]string, error) {
	return s.exportStrings(ctx, `SELECT domain FROM domain_blocks ORDER BY created_at, domain`)
}

// ExportBookmarks lists the ids (URIs) of the bookmarked statuses, oldest
// bookmark first.
func (s *Store) ExportBookmarks(ctx context.Context) ([]string, error) {
	return s.exportStrings(ctx, `SELECT s.uri FROM bookmarks b JOIN statuses s ON s.id = b.status_id ORDER BY b.id`)
}

func (s *Store) exportRows(ctx context.Context, q string, args ...any) ([]ExportRow, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExportRow
	for rows.Next() {
		var r ExportRow
		if err := rows.Scan(&r.Username, &r.Domain, &r.ShowReblogs, &r.Notify, &r.Notifications, &r.List); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) exportStrings(ctx context.Context, q string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
