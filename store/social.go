package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// InsertFavourite records accountID favouriting statusID (uri is the Like
// id); added is false when it was already recorded.
func (tx *Tx) InsertFavourite(accountID, statusID int64, uri string) (added bool, err error) {
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO favourites (id, account_id, status_id, uri, created_at)
		VALUES (?, ?, ?, ?, ?)`, tx.s.ids.next(time.Now()), accountID, statusID, uri, millis(time.Now()))
	if err != nil {
		return false, fmt.Errorf("insert favourite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.tx.ExecContext(tx.ctx, `UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?`, statusID)
	return true, err
}

// DeleteFavourite removes accountID's favourite of statusID.
func (tx *Tx) DeleteFavourite(accountID, statusID int64) (removed bool, err error) {
	res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM favourites WHERE account_id = ? AND status_id = ?`, accountID, statusID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.tx.ExecContext(tx.ctx, `UPDATE statuses SET favourites_count = max(favourites_count - 1, 0) WHERE id = ?`, statusID)
	return true, err
}

// FavouriteByURI returns the account and status of the Like with id uri.
func (s *Store) FavouriteByURI(ctx context.Context, uri string) (accountID, statusID int64, err error) {
	err = s.queryRow(ctx, `SELECT account_id, status_id FROM favourites WHERE uri = ?`, uri).Scan(&accountID, &statusID)
	return accountID, statusID, notFound(err)
}

// HasFavourited reports whether accountID favourited statusID.
func (s *Store) HasFavourited(ctx context.Context, accountID, statusID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM favourites WHERE account_id = ? AND status_id = ?`, accountID, statusID).Scan(&n)
	return n > 0, err
}

// InsertReaction records an emoji reaction.
//
// An account has one reaction per status, as on Misskey: a new one
// replaces the old. Names longer than maxReactionName are cut.
func (tx *Tx) InsertReaction(accountID, statusID int64, name, url, uri string) error {
	if r := []rune(name); len(r) > maxReactionName {
		name = string(r[:maxReactionName])
	}
	if len(url) > 2048 {
		url = ""
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM reactions WHERE account_id = ? AND status_id = ?`, accountID, statusID); err != nil {
		return err
	}
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO reactions (id, account_id, status_id, name, url, uri, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, tx.s.ids.next(time.Now()), accountID, statusID, name, url, uri, millis(time.Now()))
	return err
}

// maxReactionName bounds a reaction's emoji name (a shortcode or a few
// code points in practice).
const maxReactionName = 64

// DeleteReactionByURI removes the reaction with activity id uri by accountID.
func (tx *Tx) DeleteReactionByURI(accountID int64, uri string) error {
	_, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM reactions WHERE account_id = ? AND uri = ?`, accountID, uri)
	return err
}

// CountReactions counts the reactions on a status.
func (s *Store) CountReactions(ctx context.Context, statusID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM reactions WHERE status_id = ?`, statusID).Scan(&n)
	return n, err
}

// Notification is something that happened to the owner.
type Notification struct {
	ID              int64
	Type            string
	FromAccountID   int64
	StatusID        *int64
	TargetAccountID *int64
	CreatedAt       time.Time
	Read            bool
}

// Notification types, as Mastodon names them.
const (
	NotifyFollow        = "follow"
	NotifyFollowRequest = "follow_request"
	NotifyMention       = "mention"
	NotifyReblog        = "reblog"
	NotifyFavourite     = "favourite"
	NotifyPoll          = "poll"
	NotifyUpdate        = "update"
	NotifyMove          = "move"
	NotifyReaction      = "reaction"
)

// InsertNotification records n unless the same notification (type, from,
// status) exists already; it sets n.ID when it adds one.
func (tx *Tx) InsertNotification(n *Notification) (added bool, err error) {
	var exists int
	err = tx.tx.QueryRowContext(tx.ctx, `SELECT count(*) FROM notifications WHERE type = ? AND from_account_id = ?
		AND status_id IS ?`, n.Type, n.FromAccountID, n.StatusID).Scan(&exists)
	if err != nil || exists > 0 {
		return false, err
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Now()
	}
	n.ID = tx.s.ids.next(n.CreatedAt)
	_, err = tx.tx.ExecContext(tx.ctx, `INSERT INTO notifications (id, type, from_account_id, status_id, target_account_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, n.ID, n.Type, n.FromAccountID, n.StatusID, n.TargetAccountID, millis(n.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("insert notification: %w", err)
	}
	return true, nil
}

// DeleteNotifications removes notifications of a type from an account
// (about a status, when statusID is not nil): an undone like unnotifies.
func (tx *Tx) DeleteNotifications(typ string, fromAccountID int64, statusID *int64) error {
	_, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM notifications WHERE type = ? AND from_account_id = ? AND status_id IS ?`,
		typ, fromAccountID, statusID)
	return err
}

// ListNotifications lists the owner's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, types []string, p Page) ([]*Notification, error) {
	return s.ListNotificationsFrom(ctx, 0, types, p)
}

// ListNotificationsFrom lists notifications from one account (any account
// when fromAccountID is 0), newest first.
func (s *Store) ListNotificationsFrom(ctx context.Context, fromAccountID int64, types []string, p Page) ([]*Notification, error) {
	q := `SELECT id, type, from_account_id, status_id, target_account_id, created_at, read FROM notifications WHERE 1=1`
	var args []any
	if fromAccountID != 0 {
		q += ` AND from_account_id = ?`
		args = append(args, fromAccountID)
	}
	if len(types) > 0 {
		q += ` AND type IN (` + placeholders(len(types)) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	where, pargs, tail, asc := p.clause("id")
	rows, err := s.query(ctx, q+where+tail, append(args, pargs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Notification
	for rows.Next() {
		var n Notification
		var sid, tid sql.NullInt64
		var at int64
		if err := rows.Scan(&n.ID, &n.Type, &n.FromAccountID, &sid, &tid, &at, &n.Read); err != nil {
			return nil, err
		}
		n.StatusID, n.TargetAccountID, n.CreatedAt = nullInt(sid), nullInt(tid), fromMillis(at)
		out = append(out, &n)
	}
	if asc {
		reverse(out)
	}
	return out, rows.Err()
}

// InsertFollow stores f inside a transaction and sets f.ID; ErrConflict if
// the pair exists.
func (tx *Tx) InsertFollow(f *Follow) error {
	if f.CreatedAt.IsZero() {
		f.CreatedAt = time.Now()
	}
	f.ID = tx.s.ids.next(f.CreatedAt)
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO follows (id, account_id, target_account_id, uri,
		pending, show_reblogs, notify, created_at) VALUES (?,?,?,?,?,?,?,?)`,
		f.ID, f.AccountID, f.TargetAccountID, f.URI, f.Pending, f.ShowReblogs, f.Notify, millis(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert follow: %w", conflict(err))
	}
	return nil
}

// GetFollow returns accountID's follow (or request) of targetID.
func (s *Store) GetFollow(ctx context.Context, accountID, targetID int64) (*Follow, error) {
	var f Follow
	var at int64
	err := s.queryRow(ctx, `SELECT id, account_id, target_account_id, uri, pending, show_reblogs, notify, created_at
		FROM follows WHERE account_id = ? AND target_account_id = ?`, accountID, targetID).Scan(&f.ID, &f.AccountID,
		&f.TargetAccountID, &f.URI, &f.Pending, &f.ShowReblogs, &f.Notify, &at)
	if err != nil {
		return nil, notFound(err)
	}
	f.CreatedAt = fromMillis(at)
	return &f, nil
}

// AcceptFollow marks accountID's follow of targetID accepted.
func (tx *Tx) AcceptFollow(accountID, targetID int64) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE follows SET pending = 0 WHERE account_id = ? AND target_account_id = ?`,
		accountID, targetID)
	if err != nil {
		return err
	}
	return mustAffect(res, "follow", accountID)
}

// DeleteFollow removes accountID's follow (or request) of targetID.
func (tx *Tx) DeleteFollow(accountID, targetID int64) (removed bool, err error) {
	res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM follows WHERE account_id = ? AND target_account_id = ?`, accountID, targetID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Follows reports whether accountID follows targetID (accepted).
func (s *Store) Follows(ctx context.Context, accountID, targetID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM follows WHERE account_id = ? AND target_account_id = ? AND pending = 0`,
		accountID, targetID).Scan(&n)
	return n > 0, err
}

// ListFollowerAccounts returns every accepted follower of accountID, for
// delivery.
func (s *Store) ListFollowerAccounts(ctx context.Context, accountID int64) ([]*Account, error) {
	return scanAccounts(s.query(ctx, `SELECT `+prefixed("a.", accountColumns)+` FROM follows f
		JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.pending = 0`, accountID))
}

// InsertBlock records accountID blocking targetID.
func (tx *Tx) InsertBlock(accountID, targetID int64, uri string) error {
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO blocks (id, account_id, target_account_id, uri, created_at)
		VALUES (?, ?, ?, ?, ?)`, tx.s.ids.next(time.Now()), accountID, targetID, uri, millis(time.Now()))
	return err
}

// DeleteBlock removes accountID's block of targetID.
func (tx *Tx) DeleteBlock(accountID, targetID int64) error {
	_, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM blocks WHERE account_id = ? AND target_account_id = ?`, accountID, targetID)
	return err
}

// Blocks reports whether accountID blocks targetID.
func (s *Store) Blocks(ctx context.Context, accountID, targetID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM blocks WHERE account_id = ? AND target_account_id = ?`,
		accountID, targetID).Scan(&n)
	return n > 0, err
}

// BlockDomain and UnblockDomain keep the owner's domain blocks.
func (s *Store) BlockDomain(ctx context.Context, domain string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO domain_blocks (domain, created_at) VALUES (lower(?), ?)`,
			domain, millis(time.Now()))
		return err
	})
}

// UnblockDomain lifts a domain block.
func (s *Store) UnblockDomain(ctx context.Context, domain string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM domain_blocks WHERE domain = lower(?)`, domain)
		return err
	})
}

// DomainBlocked reports whether host or any parent domain of it is blocked.
func (s *Store) DomainBlocked(ctx context.Context, host string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM domain_blocks WHERE lower(?) = domain OR lower(?) LIKE '%.' || domain`,
		host, host).Scan(&n)
	return n > 0, err
}

// DeleteAccount removes a remote account and everything of it (statuses,
// follows, favourites, notifications), remembering its id as deleted.
func (tx *Tx) DeleteAccount(a *Account) error {
	// Keep the counters of the owner's statuses right.
	for _, q := range []string{
		`UPDATE statuses SET favourites_count = max(favourites_count - 1, 0) WHERE id IN (SELECT status_id FROM favourites WHERE account_id = ?)`,
		`UPDATE statuses SET reblogs_count = max(reblogs_count - 1, 0) WHERE id IN (SELECT reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id IS NOT NULL)`,
		`UPDATE statuses SET replies_count = max(replies_count - 1, 0) WHERE id IN (SELECT in_reply_to_id FROM statuses WHERE account_id = ? AND in_reply_to_id IS NOT NULL)`,
		`DELETE FROM accounts WHERE id = ?`,
	} {
		if _, err := tx.tx.ExecContext(tx.ctx, q, a.ID); err != nil {
			return fmt.Errorf("delete account %d: %w", a.ID, err)
		}
	}
	return tx.AddTombstone(a.URI)
}

// GetStatusByURI returns the status with the given uri inside a
// transaction.
func (tx *Tx) GetStatusByURI(uri string) (*Status, error) {
	return scanStatus(tx.tx.QueryRowContext(tx.ctx, `SELECT `+statusColumns+` FROM statuses WHERE uri = ?`, uri))
}

// InsertPollVote records accountID choosing option choice of the poll of
// statusID and updates its counts; a second vote for a single-choice poll
// is refused. added is false for a repeat.
func (tx *Tx) InsertPollVote(statusID, accountID int64, choice int, uri string, multiple bool) (added bool, err error) {
	var earlier int
	if err := tx.tx.QueryRowContext(tx.ctx, `SELECT count(*) FROM poll_votes WHERE status_id = ? AND account_id = ?`,
		statusID, accountID).Scan(&earlier); err != nil {
		return false, err
	}
	if earlier > 0 && !multiple {
		return false, nil
	}
	res, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO poll_votes (id, status_id, account_id, choice, uri, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, tx.s.ids.next(time.Now()), statusID, accountID, choice, uri, millis(time.Now()))
	if err != nil {
		return false, fmt.Errorf("insert vote: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	voters := 0
	if earlier == 0 {
		voters = 1
	}
	// options is a JSON array; count the new vote into its element.
	_, err = tx.tx.ExecContext(tx.ctx, `UPDATE polls SET voters_count = voters_count + ?,
		options = json_set(options, '$[' || ? || '].votes_count', json_extract(options, '$[' || ? || '].votes_count') + 1),
		updated_at = ? WHERE status_id = ?`, voters, choice, choice, millis(time.Now()), statusID)
	return err == nil, err
}

// PollVotes returns the choices accountID made in the poll of statusID.
func (s *Store) PollVotes(ctx context.Context, statusID, accountID int64) ([]int, error) {
	rows, err := s.query(ctx, `SELECT choice FROM poll_votes WHERE status_id = ? AND account_id = ? ORDER BY choice`,
		statusID, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var c int
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListPollVoters returns the accounts that voted in the poll of statusID.
func (s *Store) ListPollVoters(ctx context.Context, statusID int64) ([]*Account, error) {
	return scanAccounts(s.query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id IN
		(SELECT account_id FROM poll_votes WHERE status_id = ?)`, statusID))
}

// HasBoosted reports whether accountID boosted statusID.
func (s *Store) HasBoosted(ctx context.Context, accountID, statusID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM statuses WHERE account_id = ? AND reblog_of_id = ?`,
		accountID, statusID).Scan(&n)
	return n > 0, err
}

// GetBoost returns accountID's boost of statusID.
func (s *Store) GetBoost(ctx context.Context, accountID, statusID int64) (*Status, error) {
	return scanStatus(s.queryRow(ctx, `SELECT `+statusColumns+` FROM statuses WHERE account_id = ? AND reblog_of_id = ?`,
		accountID, statusID))
}

// ExpiredPolls returns the open polls of local statuses past their end.
func (s *Store) ExpiredPolls(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := s.query(ctx, `SELECT p.status_id FROM polls p JOIN statuses s ON s.id = p.status_id
		WHERE p.closed = 0 AND p.expires_at IS NOT NULL AND p.expires_at <= ? AND s.local = 1`, millis(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ClosePoll marks a poll ended.
func (tx *Tx) ClosePoll(statusID int64) error {
	_, err := tx.tx.ExecContext(tx.ctx, `UPDATE polls SET closed = 1, updated_at = ? WHERE status_id = ?`, millis(time.Now()), statusID)
	return err
}

// GetNotification returns one notification.
func (s *Store) GetNotification(ctx context.Context, id int64) (*Notification, error) {
	var n Notification
	var sid, tid sql.NullInt64
	var at int64
	err := s.queryRow(ctx, `SELECT id, type, from_account_id, status_id, target_account_id, created_at, read
		FROM notifications WHERE id = ?`, id).Scan(&n.ID, &n.Type, &n.FromAccountID, &sid, &tid, &at, &n.Read)
	if err != nil {
		return nil, notFound(err)
	}
	n.StatusID, n.TargetAccountID, n.CreatedAt = nullInt(sid), nullInt(tid), fromMillis(at)
	return &n, nil
}

// DismissNotification deletes one notification (all of them when id is 0).
func (s *Store) DismissNotification(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if id == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM notifications`)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM notifications WHERE id = ?`, id)
		}
		return err
	})
}

// CountNotificationsAfter counts notifications newer than id (capped).
func (s *Store) CountNotificationsAfter(ctx context.Context, id int64, types []string, limit int) (int, error) {
	q := `SELECT count(*) FROM (SELECT 1 FROM notifications WHERE id > ?`
	args := []any{id}
	if len(types) > 0 {
		q += ` AND type IN (` + placeholders(len(types)) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	var n int
	err := s.queryRow(ctx, q+` LIMIT ?)`, append(args, limit)...).Scan(&n)
	return n, err
}

// Marker is where the owner stopped reading a timeline.
type Marker struct {
	Timeline   string
	LastReadID int64
	Version    int
	UpdatedAt  time.Time
}

// GetMarker returns the marker of a timeline (home, notifications).
func (s *Store) GetMarker(ctx context.Context, timeline string) (*Marker, error) {
	m := &Marker{Timeline: timeline}
	var at int64
	err := s.queryRow(ctx, `SELECT last_read_id, version, updated_at FROM markers WHERE timeline = ?`, timeline).
		Scan(&m.LastReadID, &m.Version, &at)
	if err != nil {
		return nil, notFound(err)
	}
	m.UpdatedAt = fromMillis(at)
	return m, nil
}

// SetMarker moves the marker of a timeline and bumps its version.
func (s *Store) SetMarker(ctx context.Context, timeline string, lastReadID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO markers (timeline, last_read_id, version, updated_at) VALUES (?, ?, 0, ?)
			ON CONFLICT (timeline) DO UPDATE SET last_read_id = excluded.last_read_id, version = version + 1,
			updated_at = excluded.updated_at`, timeline, lastReadID, millis(time.Now()))
		return err
	})
}
