package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SetBookmark adds or removes the owner's bookmark of a status.
func (s *Store) SetBookmark(ctx context.Context, statusID int64, on bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if on {
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO bookmarks (status_id, id, created_at) VALUES (?, ?, ?)`,
				statusID, s.ids.next(time.Now()), millis(time.Now()))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM bookmarks WHERE status_id = ?`, statusID)
		}
		if err != nil {
			return fmt.Errorf("bookmark %d: %w", statusID, err)
		}
		return nil
	})
}

// IsBookmarked reports whether the owner bookmarked a status.
func (s *Store) IsBookmarked(ctx context.Context, statusID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM bookmarks WHERE status_id = ?`, statusID).Scan(&n)
	return n > 0, err
}

// ListBoostedBy lists the accounts that boosted a status, newest first.
func (s *Store) ListBoostedBy(ctx context.Context, statusID int64, p Page) ([]*Account, []int64, error) {
	return s.listInteracting(ctx, `SELECT b.id, `+prefixed("a.", accountColumns)+` FROM statuses b
		JOIN accounts a ON a.id = b.account_id WHERE b.reblog_of_id = ?`, "b.id", statusID, p)
}

// ListFavouritedBy lists the accounts that favourited a status, newest
// first.
func (s *Store) ListFavouritedBy(ctx context.Context, statusID int64, p Page) ([]*Account, []int64, error) {
	return s.listInteracting(ctx, `SELECT f.id, `+prefixed("a.", accountColumns)+` FROM favourites f
		JOIN accounts a ON a.id = f.account_id WHERE f.status_id = ?`, "f.id", statusID, p)
}

// listInteracting runs a query of (paging id, account) rows whose one
// argument is id.
func (s *Store) listInteracting(ctx context.Context, q, col string, id int64, p Page) ([]*Account, []int64, error) {
	return s.listAccountsPaged(ctx, q, col, []any{id}, p)
}
