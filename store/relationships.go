package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The owner's lists of relationships: endorsed (pinned) accounts, mutes,
// blocks and domain blocks, bookmarks and favourites. Rows without an id of
// their own (endorsements, mutes, domain blocks) page by their creation
// time in milliseconds, which is as monotonic for one person's clicks.

// SetEndorsed endorses (features on the owner's profile) or stops endorsing
// an account.
func (s *Store) SetEndorsed(ctx context.Context, accountID int64, on bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if on {
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO endorsements (account_id, created_at) VALUES (?, ?)`,
				accountID, millis(time.Now()))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM endorsements WHERE account_id = ?`, accountID)
		}
		if err != nil {
			return fmt.Errorf("endorse %d: %w", accountID, err)
		}
		return nil
	})
}

// Endorsed reports whether the owner endorses an account.
func (s *Store) Endorsed(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM endorsements WHERE account_id = ?`, accountID).Scan(&n)
	return n > 0, err
}

// ListEndorsed lists the accounts the owner endorses, newest first.
func (s *Store) ListEndorsed(ctx context.Context, p Page) ([]*Account, []int64, error) {
	return s.listAccountsPaged(ctx, `SELECT e.created_at, `+prefixed("a.", accountColumns)+` FROM endorsements e
		JOIN accounts a ON a.id = e.account_id WHERE 1=1`, "e.created_at", nil, p)
}

// ListMuted lists the accounts the owner mutes now, newest mute first.
func (s *Store) ListMuted(ctx context.Context, p Page) ([]*Account, []int64, error) {
	return s.listAccountsPaged(ctx, `SELECT m.created_at, `+prefixed("a.", accountColumns)+` FROM mutes m
		JOIN accounts a ON a.id = m.target_account_id
		WHERE (m.expires_at IS NULL OR m.expires_at > ?)`, "m.created_at", []any{millis(time.Now())}, p)
}

// ListBlocked lists the accounts ownerID blocks, newest block first.
func (s *Store) ListBlocked(ctx context.Context, ownerID int64, p Page) ([]*Account, []int64, error) {
	return s.listInteracting(ctx, `SELECT b.id, `+prefixed("a.", accountColumns)+` FROM blocks b
		JOIN accounts a ON a.id = b.target_account_id WHERE b.account_id = ?`, "b.id", ownerID, p)
}

// listAccountsPaged is listInteracting with any query arguments.
func (s *Store) listAccountsPaged(ctx context.Context, q, col string, qargs []any, p Page) ([]*Account, []int64, error) {
	where, args, tail, asc := p.clause(col)
	rows, err := s.query(ctx, q+where+tail, append(qargs, args...)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var accts []*Account
	var ids []int64
	for rows.Next() {
		var pid int64
		a, err := scanAccount(prefixScanner{rows, &pid})
		if err != nil {
			return nil, nil, err
		}
		accts, ids = append(accts, a), append(ids, pid)
	}
	if asc {
		reverse(accts)
		reverse(ids)
	}
	return accts, ids, rows.Err()
}

// ListDomainBlocks lists the owner's blocked domains, newest first, with
// their paging ids.
func (s *Store) ListDomainBlocks(ctx context.Context, p Page) ([]string, []int64, error) {
	where, args, tail, asc := p.clause("created_at")
	rows, err := s.query(ctx, `SELECT created_at, domain FROM domain_blocks WHERE 1=1`+where+tail, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	domains := []string{}
	var ids []int64
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			return nil, nil, err
		}
		domains, ids = append(domains, d), append(ids, id)
	}
	if asc {
		reverse(domains)
		reverse(ids)
	}
	return domains, ids, rows.Err()
}

// BlockDomainAndSever blocks domain (and its subdomains) as Mastodon does
// for a user: with the block, ownerID's follows of accounts there and
// their follows of (and requests to follow) ownerID are removed. removed
// counts the follows removed.
func (s *Store) BlockDomainAndSever(ctx context.Context, ownerID int64, domain string) (removed int64, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO domain_blocks (domain, created_at) VALUES (lower(?), ?)`,
			domain, millis(time.Now())); err != nil {
			return err
		}
		// ?1 is the owner, ?2 the domain.
		res, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE (account_id = ?1 OR target_account_id = ?1)
			AND (account_id IN (SELECT id FROM accounts WHERE lower(domain) = lower(?2) OR lower(domain) LIKE '%.' || lower(?2))
			  OR target_account_id IN (SELECT id FROM accounts WHERE lower(domain) = lower(?2) OR lower(domain) LIKE '%.' || lower(?2)))`,
			ownerID, domain)
		if err != nil {
			return err
		}
		removed, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("block domain %s: %w", domain, err)
	}
	return removed, nil
}

// ListBookmarked lists the statuses the owner bookmarked, newest bookmark
// first, with the bookmark ids for paging.
func (s *Store) ListBookmarked(ctx context.Context, p Page) ([]*Status, []int64, error) {
	return s.listStatusesPaged(ctx, `SELECT b.id, `+prefixed("s.", statusColumns)+` FROM bookmarks b
		JOIN statuses s ON s.id = b.status_id WHERE 1=1`, "b.id", nil, p)
}

// ListFavourited lists the statuses accountID favourited, newest favourite
// first, with the favourite ids for paging.
func (s *Store) ListFavourited(ctx context.Context, accountID int64, p Page) ([]*Status, []int64, error) {
	return s.listStatusesPaged(ctx, `SELECT f.id, `+prefixed("s.", statusColumns)+` FROM favourites f
		JOIN statuses s ON s.id = f.status_id WHERE f.account_id = ?`, "f.id", []any{accountID}, p)
}

func (s *Store) listStatusesPaged(ctx context.Context, q, col string, qargs []any, p Page) ([]*Status, []int64, error) {
	where, args, tail, asc := p.clause(col)
	rows, err := s.query(ctx, q+where+tail, append(qargs, args...)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var list []*Status
	var ids []int64
	for rows.Next() {
		var pid int64
		st, err := scanStatus(prefixScanner{rows, &pid})
		if err != nil {
			return nil, nil, err
		}
		list, ids = append(list, st), append(ids, pid)
	}
	if asc {
		reverse(list)
		reverse(ids)
	}
	return list, ids, rows.Err()
}

// DirectoryOrder is how ListDirectory sorts.
type DirectoryOrder string

// Directory orders, as Mastodon names them.
const (
	DirectoryActive DirectoryOrder = "active" // most recent status first
	DirectoryNew    DirectoryOrder = "new"    // newest account first
)

// ListDirectory lists discoverable accounts for the profile directory: the
// owner's alone with localOnly, else every discoverable account Roost
// knows.
func (s *Store) ListDirectory(ctx context.Context, order DirectoryOrder, localOnly bool, offset, limit int) ([]*Account, error) {
	q := `SELECT ` + prefixed("a.", accountColumns) + ` FROM accounts a WHERE a.discoverable = 1`
	if localOnly {
		q += ` AND a.domain = ''`
	}
	if order == DirectoryNew {
		q += ` ORDER BY a.id DESC`
	} else {
		q += ` ORDER BY (SELECT max(s.id) FROM statuses s WHERE s.account_id = a.id) DESC NULLS LAST, a.id DESC`
	}
	return scanAccounts(s.query(ctx, q+` LIMIT ? OFFSET ?`, limit, offset))
}
