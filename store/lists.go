package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Replies policies of a list, as Mastodon names them: which replies by
// members to others the list timeline shows.
const (
	RepliesFollowed = "followed" // replies to accounts the owner follows
	RepliesList     = "list"     // replies to other members of the list
	RepliesNone     = "none"     // none
)

// List is one of the owner's lists of followed accounts. An exclusive
// list takes its members' statuses out of the home timeline.
type List struct {
	ID            int64
	Title         string
	RepliesPolicy string
	Exclusive     bool
	CreatedAt     time.Time
}

const listColumns = `id, title, replies_policy, exclusive, created_at`

func scanList(sc scanner) (*List, error) {
	l := &List{}
	var created int64
	if err := sc.Scan(&l.ID, &l.Title, &l.RepliesPolicy, &l.Exclusive, &created); err != nil {
		return nil, notFound(err)
	}
	l.CreatedAt = fromMillis(created)
	return l, nil
}

func scanLists(rows *sql.Rows, err error) ([]*List, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*List
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// InsertList stores a new list and sets l.ID and l.CreatedAt.
func (s *Store) InsertList(ctx context.Context, l *List) error {
	l.CreatedAt = time.Now().UTC()
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO lists (title, replies_policy, exclusive, created_at) VALUES (?, ?, ?, ?)`,
			l.Title, l.RepliesPolicy, l.Exclusive, millis(l.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert list: %w", err)
		}
		l.ID, err = res.LastInsertId()
		return err
	})
}

// UpdateList saves a list's title, replies policy and exclusivity.
func (s *Store) UpdateList(ctx context.Context, l *List) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE lists SET title = ?, replies_policy = ?, exclusive = ? WHERE id = ?`,
			l.Title, l.RepliesPolicy, l.Exclusive, l.ID)
		if err != nil {
			return fmt.Errorf("update list %d: %w", l.ID, err)
		}
		return mustAffect(res, "list", l.ID)
	})
}

// DeleteList deletes a list (its memberships go with it).
func (s *Store) DeleteList(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM lists WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete list %d: %w", id, err)
		}
		return mustAffect(res, "list", id)
	})
}

// GetList returns a list.
func (s *Store) GetList(ctx context.Context, id int64) (*List, error) {
	return scanList(s.queryRow(ctx, `SELECT `+listColumns+` FROM lists WHERE id = ?`, id))
}

// ListLists returns every list, by title as Mastodon orders them.
func (s *Store) ListLists(ctx context.Context) ([]*List, error) {
	out, err := scanLists(s.query(ctx, `SELECT `+listColumns+` FROM lists ORDER BY title COLLATE NOCASE, id`))
	if err != nil {
		return nil, fmt.Errorf("list lists: %w", err)
	}
	return out, nil
}

// ListsWithAccount returns the lists accountID is a member of.
func (s *Store) ListsWithAccount(ctx context.Context, accountID int64) ([]*List, error) {
	out, err := scanLists(s.query(ctx, `SELECT `+prefixed("l.", listColumns)+` FROM lists l
		JOIN list_accounts la ON la.list_id = l.id WHERE la.account_id = ? ORDER BY l.title COLLATE NOCASE, l.id`, accountID))
	if err != nil {
		return nil, fmt.Errorf("lists of account %d: %w", accountID, err)
	}
	return out, nil
}

// AddListAccounts adds accounts to a list; those already in it stay.
// Whether the owner may add them (Mastodon: only followed accounts) is the
// caller's rule.
func (s *Store) AddListAccounts(ctx context.Context, listID int64, accountIDs []int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, id := range accountIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO list_accounts (list_id, account_id) VALUES (?, ?)`,
				listID, id); err != nil {
				return fmt.Errorf("add account %d to list %d: %w", id, listID, err)
			}
		}
		return nil
	})
}

// RemoveListAccounts takes accounts out of a list; absent ones are
// ignored.
func (s *Store) RemoveListAccounts(ctx context.Context, listID int64, accountIDs []int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, id := range accountIDs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM list_accounts WHERE list_id = ? AND account_id = ?`,
				listID, id); err != nil {
				return fmt.Errorf("remove account %d from list %d: %w", id, listID, err)
			}
		}
		return nil
	})
}

// ListListAccounts lists the members of a list, newest account id first;
// paging is by account id, returned with each account.
func (s *Store) ListListAccounts(ctx context.Context, listID int64, p Page) ([]*Account, []int64, error) {
	accts, ids, err := s.listInteracting(ctx, `SELECT a.id, `+prefixed("a.", accountColumns)+` FROM list_accounts la
		JOIN accounts a ON a.id = la.account_id WHERE la.list_id = ?`, "a.id", listID, p)
	if err != nil {
		return nil, nil, fmt.Errorf("accounts of list %d: %w", listID, err)
	}
	return accts, ids, nil
}

// ListListTimeline lists the statuses of a list's members, newest first,
// as Mastodon fills a list feed (FeedManager#filter_from_list?): no
// direct messages; boosts only where the follow shows them; a member's
// reply to someone else only when l.RepliesPolicy allows it. Replies to
// oneself (threads) and to the owner are shown under every policy.
func (s *Store) ListListTimeline(ctx context.Context, l *List, ownerID int64, p Page) ([]*Status, error) {
	where, args, tail, asc := p.clause("s.id")
	q := `SELECT ` + prefixed("s.", statusColumns) + ` FROM statuses s
		JOIN list_accounts la ON la.list_id = ? AND la.account_id = s.account_id
		LEFT JOIN follows f ON f.account_id = ? AND f.target_account_id = s.account_id AND f.pending = 0
		WHERE s.visibility != 'direct' AND (s.reblog_of_id IS NULL OR f.show_reblogs = 1)
		AND (s.in_reply_to_id IS NULL AND s.in_reply_to_uri = ''
			OR s.in_reply_to_account_id = s.account_id
			OR s.in_reply_to_account_id = ?
			OR ? = 'followed' AND EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = ?
				AND f2.target_account_id = s.in_reply_to_account_id AND f2.pending = 0)
			OR ? = 'list' AND EXISTS (SELECT 1 FROM list_accounts la2 WHERE la2.list_id = la.list_id
				AND la2.account_id = s.in_reply_to_account_id))` + where + tail
	head := []any{l.ID, ownerID, ownerID, l.RepliesPolicy, ownerID, l.RepliesPolicy}
	out, err := scanStatuses(s.query(ctx, q, append(head, args...)...))
	if err != nil {
		return nil, fmt.Errorf("list %d timeline: %w", l.ID, err)
	}
	if asc {
		reverse(out)
	}
	return out, nil
}

// InExclusiveList reports whether accountID is a member of an exclusive
// list, whose members' statuses stay out of the home timeline and the
// user stream.
func (s *Store) InExclusiveList(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM list_accounts la JOIN lists l ON l.id = la.list_id
		WHERE la.account_id = ? AND l.exclusive = 1`, accountID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("exclusive lists of account %d: %w", accountID, err)
	}
	return n > 0, nil
}
