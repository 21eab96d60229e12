package store

import (
	"context"
	"time"
)

// Follow is account AccountID following TargetAccountID.
type Follow struct {
	ID              int64
	AccountID       int64
	TargetAccountID int64
	URI             string // the Follow activity id
	Pending         bool
	ShowReblogs     bool
	Notify          bool
	CreatedAt       time.Time
}

// InsertFollow stores f in its own transaction and sets f.ID; ErrConflict
// if it exists.
func (s *Store) InsertFollow(ctx context.Context, f *Follow) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.InsertFollow(f) })
}

// CountFollowers counts accepted followers of accountID.
func (s *Store) CountFollowers(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM follows WHERE target_account_id = ? AND pending = 0`,
		accountID).Scan(&n)
	return n, err
}

// CountFollowing counts the accounts accountID follows (accepted).
func (s *Store) CountFollowing(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM follows WHERE account_id = ? AND pending = 0`,
		accountID).Scan(&n)
	return n, err
}

// ListFollowers lists accepted followers of accountID, most recent follow
// first; paging is by follow id, returned with each account.
func (s *Store) ListFollowers(ctx context.Context, accountID int64, p Page) ([]*Account, []int64, error) {
	return s.listInteracting(ctx, `SELECT f.id, `+prefixed("a.", accountColumns)+` FROM follows f
		JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.pending = 0`, "f.id", accountID, p)
}

// ListFollowing lists accounts accountID follows, most recent first.
func (s *Store) ListFollowing(ctx context.Context, accountID int64, p Page) ([]*Account, []int64, error) {
	return s.listInteracting(ctx, `SELECT f.id, `+prefixed("a.", accountColumns)+` FROM follows f
		JOIN accounts a ON a.id = f.target_account_id WHERE f.account_id = ? AND f.pending = 0`, "f.id", accountID, p)
}

// ListFollowRequests lists pending requests to follow accountID.
func (s *Store) ListFollowRequests(ctx context.Context, accountID int64, p Page) ([]*Account, []int64, error) {
	return s.listInteracting(ctx, `SELECT f.id, `+prefixed("a.", accountColumns)+` FROM follows f
		JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.pending = 1`, "f.id", accountID, p)
}

// prefixScanner scans one extra leading column into first.
type prefixScanner struct {
	sc    scanner
	first any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.sc.Scan(append([]any{p.first}, dest...)...)
}

// SetFollowOptions changes whether a follow shows boosts and notifies of
// posts.
func (s *Store) SetFollowOptions(ctx context.Context, accountID, targetID int64, showReblogs, notify bool) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `UPDATE follows SET show_reblogs = ?, notify = ? WHERE account_id = ? AND target_account_id = ?`,
			showReblogs, notify, accountID, targetID)
		return err
	})
}
