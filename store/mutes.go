package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Mute is the owner muting an account.
type Mute struct {
	TargetAccountID int64
	Notifications   bool
	ExpiresAt       *time.Time
}

// SetMute mutes (or, with m nil, unmutes) an account for the owner.
func (s *Store) SetMute(ctx context.Context, targetID int64, m *Mute) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if m == nil {
			_, err := tx.ExecContext(ctx, `DELETE FROM mutes WHERE target_account_id = ?`, targetID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO mutes (target_account_id, notifications, expires_at, created_at)
			VALUES (?, ?, ?, ?)`, targetID, m.Notifications, nullMillis(m.ExpiresAt), millis(time.Now()))
		return err
	})
}

// GetMute returns the owner's mute of an account, if any and not expired.
func (s *Store) GetMute(ctx context.Context, targetID int64) (*Mute, error) {
	m := &Mute{TargetAccountID: targetID}
	var expires sql.NullInt64
	err := s.queryRow(ctx, `SELECT notifications, expires_at FROM mutes WHERE target_account_id = ?
		AND (expires_at IS NULL OR expires_at > ?)`, targetID, millis(time.Now())).Scan(&m.Notifications, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	m.ExpiresAt = fromNullMillis(expires)
	return m, nil
}

// Muted reports whether the owner mutes an account now.
func (s *Store) Muted(ctx context.Context, targetID int64) (bool, error) {
	_, err := s.GetMute(ctx, targetID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SetAccountNote stores the owner's private note on an account ("" removes
// it).
func (s *Store) SetAccountNote(ctx context.Context, accountID int64, note string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if note == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM account_notes WHERE account_id = ?`, accountID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO account_notes (account_id, note, updated_at) VALUES (?, ?, ?)`,
			accountID, note, millis(time.Now()))
		return err
	})
}

// AccountNote returns the owner's private note on an account, or "".
func (s *Store) AccountNote(ctx context.Context, accountID int64) (string, error) {
	var note string
	err := s.queryRow(ctx, `SELECT note FROM account_notes WHERE account_id = ?`, accountID).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return note, err
}

// SearchAccounts finds known accounts whose handle or name contains q.
func (s *Store) SearchAccounts(ctx context.Context, q string, limit int) ([]*Account, error) {
	like := "%" + escapeLike(q) + "%"
	return scanAccounts(s.query(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE username LIKE ? ESCAPE '\' OR display_name LIKE ? ESCAPE '\' OR (username || '@' || domain) LIKE ? ESCAPE '\'
		ORDER BY domain = '' DESC, followers_count DESC LIMIT ?`, like, like, like, limit))
}

func escapeLike(s string) string {
	r := make([]rune, 0, len(s))
	for _, c := range s {
		if c == '%' || c == '_' || c == '\\' {
			r = append(r, '\\')
		}
		r = append(r, c)
	}
	return string(r)
}

// SearchTags finds hashtags starting with prefix.
func (s *Store) SearchTags(ctx context.Context, prefix string, limit int) ([]string, error) {
	rows, err := s.query(ctx, `SELECT name FROM tags WHERE name LIKE ? ESCAPE '\' ORDER BY length(name), name LIMIT ?`,
		escapeLike(prefix)+"%", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// SearchStatuses finds the owner's statuses and those the owner interacted
// with whose text contains q, newest first (Mastodon searches only what
// one has written, favourited, boosted, bookmarked or been mentioned in).
func (s *Store) SearchStatuses(ctx context.Context, q string, limit int) ([]*Status, error) {
	like := "%" + escapeLike(q) + "%"
	return scanStatuses(s.query(ctx, `SELECT `+statusColumns+` FROM statuses
		WHERE reblog_of_id IS NULL AND (content LIKE ? ESCAPE '\' OR spoiler_text LIKE ? ESCAPE '\')
		AND (local = 1 OR id IN (SELECT status_id FROM favourites) OR id IN (SELECT status_id FROM bookmarks)
			OR id IN (SELECT reblog_of_id FROM statuses WHERE local = 1 AND reblog_of_id IS NOT NULL)
			OR id IN (SELECT m.status_id FROM mentions m JOIN owner o ON o.account_id = m.account_id))
		ORDER BY id DESC LIMIT ?`, like, like, limit))
}

// GetStatusByURL returns the status whose id or page is u.
func (s *Store) GetStatusByURL(ctx context.Context, u string) (*Status, error) {
	return scanStatus(s.queryRow(ctx, `SELECT `+statusColumns+` FROM statuses WHERE uri = ? OR url = ? LIMIT 1`, u, u))
}

// GetAccountByURL returns the account whose id or profile page is u.
func (s *Store) GetAccountByURL(ctx context.Context, u string) (*Account, error) {
	return scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE uri = ? OR url = ? LIMIT 1`, u, u))
}
