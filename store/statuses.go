package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Visibility values, as Mastodon names them.
const (
	Public   = "public"
	Unlisted = "unlisted"
	Private  = "private" // followers only
	Direct   = "direct"
)

// Status is a post (or a boost when ReblogOfID is set).
type Status struct {
	ID                 int64
	URI                string
	URL                string
	AccountID          int64
	Local              bool
	Visibility         string
	InReplyToID        *int64
	InReplyToURI       string
	InReplyToAccountID *int64
	ReblogOfID         *int64
	Content            string // HTML
	Source             string // Markdown, local statuses only
	SpoilerText        string
	Sensitive          bool
	Language           string
	Conversation       string
	RepliesCount       int
	ReblogsCount       int
	FavouritesCount    int
	PinnedAt           *time.Time
	CreatedAt          time.Time
	EditedAt           *time.Time
	Emojis             []Emoji
	QuoteURI           string
	ActivityURI        string // a boost's Announce id
}

// Emoji is a custom emoji used in a status or profile.
type Emoji struct {
	Shortcode string `json:"shortcode"`
	URL       string `json:"url"`
}

const statusColumns = `id, uri, url, account_id, local, visibility, in_reply_to_id, in_reply_to_uri,
	in_reply_to_account_id, reblog_of_id, content, source, spoiler_text, sensitive, language,
	conversation, replies_count, reblogs_count, favourites_count, pinned_at, created_at, edited_at,
	emojis, quote_uri, activity_uri`

func scanStatus(sc scanner) (*Status, error) {
	var st Status
	var inReplyTo, inReplyToAccount, reblogOf, pinned, edited sql.NullInt64
	var created int64
	var emojis string
	err := sc.Scan(&st.ID, &st.URI, &st.URL, &st.AccountID, &st.Local, &st.Visibility, &inReplyTo,
		&st.InReplyToURI, &inReplyToAccount, &reblogOf, &st.Content, &st.Source, &st.SpoilerText,
		&st.Sensitive, &st.Language, &st.Conversation, &st.RepliesCount, &st.ReblogsCount,
		&st.FavouritesCount, &pinned, &created, &edited, &emojis, &st.QuoteURI, &st.ActivityURI)
	if err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(emojis), &st.Emojis); err != nil {
		return nil, fmt.Errorf("status %d emojis: %w", st.ID, err)
	}
	st.InReplyToID = nullInt(inReplyTo)
	st.InReplyToAccountID = nullInt(inReplyToAccount)
	st.ReblogOfID = nullInt(reblogOf)
	st.PinnedAt = fromNullMillis(pinned)
	st.EditedAt = fromNullMillis(edited)
	st.CreatedAt = fromMillis(created)
	return &st, nil
}

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

func scanStatuses(rows *sql.Rows, err error) ([]*Status, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Status
	for rows.Next() {
		st, err := scanStatus(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// InsertStatus stores st in its own transaction; see Tx.InsertStatus.
func (s *Store) InsertStatus(ctx context.Context, st *Status) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.InsertStatus(st, nil) })
}

func insertStatus(ctx context.Context, tx *sql.Tx, st *Status) error {
	emojis, err := jsonList(st.Emojis)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO statuses (`+statusColumns+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		st.ID, st.URI, st.URL, st.AccountID, st.Local, st.Visibility, st.InReplyToID,
		st.InReplyToURI, st.InReplyToAccountID, st.ReblogOfID, st.Content, st.Source,
		st.SpoilerText, st.Sensitive, st.Language, st.Conversation, st.RepliesCount,
		st.ReblogsCount, st.FavouritesCount, nullMillis(st.PinnedAt), millis(st.CreatedAt),
		nullMillis(st.EditedAt), emojis, st.QuoteURI, st.ActivityURI)
	return conflict(err)
}

// GetStatus returns the status with the given id.
func (s *Store) GetStatus(ctx context.Context, id int64) (*Status, error) {
	return scanStatus(s.queryRow(ctx, `SELECT `+statusColumns+` FROM statuses WHERE id = ?`, id))
}

// GetStatusByURI returns the status whose ActivityPub id is uri.
func (s *Store) GetStatusByURI(ctx context.Context, uri string) (*Status, error) {
	return scanStatus(s.queryRow(ctx, `SELECT `+statusColumns+` FROM statuses WHERE uri = ?`, uri))
}

// AccountStatusesFilter narrows ListAccountStatuses.
type AccountStatusesFilter struct {
	// Visibilities that may be listed; empty means public and unlisted.
	Visibilities []string
	// ExcludeReplies leaves out replies to others (self-replies stay).
	ExcludeReplies bool
	// ExcludeReblogs leaves out boosts.
	ExcludeReblogs bool
	// OnlyMedia keeps statuses with attachments.
	OnlyMedia bool
	// Tag keeps statuses with this hashtag.
	Tag string
}

// ListAccountStatuses lists an account's statuses and boosts, newest first.
func (s *Store) ListAccountStatuses(ctx context.Context, accountID int64, f AccountStatusesFilter, p Page) ([]*Status, error) {
	vis := f.Visibilities
	if len(vis) == 0 {
		vis = []string{Public, Unlisted}
	}
	q := `SELECT ` + statusColumns + ` FROM statuses WHERE account_id = ? AND visibility IN (` + placeholders(len(vis)) + `)`
	args := []any{accountID}
	for _, v := range vis {
		args = append(args, v)
	}
	if f.ExcludeReplies {
		// Mastodon keeps replies to oneself (threads) when excluding replies.
		q += ` AND (in_reply_to_id IS NULL AND in_reply_to_uri = '' OR in_reply_to_account_id = account_id)`
	}
	if f.ExcludeReblogs {
		q += ` AND reblog_of_id IS NULL`
	}
	if f.OnlyMedia {
		q += ` AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = statuses.id)`
	}
	if f.Tag != "" {
		q += ` AND id IN (SELECT st.status_id FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE t.name = ?)`
		args = append(args, f.Tag)
	}
	where, pargs, tail, asc := p.clause("id")
	out, err := scanStatuses(s.query(ctx, q+where+tail, append(args, pargs...)...))
	if err != nil {
		return nil, fmt.Errorf("list statuses of %d: %w", accountID, err)
	}
	if asc {
		reverse(out)
	}
	return out, nil
}

// ListPinned returns an account's pinned statuses, most recently pinned first.
func (s *Store) ListPinned(ctx context.Context, accountID int64) ([]*Status, error) {
	return scanStatuses(s.query(ctx, `SELECT `+statusColumns+` FROM statuses
		WHERE account_id = ? AND pinned_at IS NOT NULL ORDER BY pinned_at DESC`, accountID))
}

// CountStatuses counts an account's statuses (not boosts) in the given
// visibilities (all when none are given).
func (s *Store) CountStatuses(ctx context.Context, accountID int64, visibilities ...string) (int, error) {
	q := `SELECT count(*) FROM statuses WHERE account_id = ? AND reblog_of_id IS NULL`
	args := []any{accountID}
	if len(visibilities) > 0 {
		q += ` AND visibility IN (` + placeholders(len(visibilities)) + `)`
		for _, v := range visibilities {
			args = append(args, v)
		}
	}
	var n int
	err := s.queryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// MaxThreadDepth bounds how far Ancestors and Descendants walk.
const MaxThreadDepth = 64

// Ancestors returns the statuses st replies to, oldest first.
func (s *Store) Ancestors(ctx context.Context, st *Status) ([]*Status, error) {
	out, err := scanStatuses(s.query(ctx, `WITH RECURSIVE up(id, depth) AS (
			SELECT in_reply_to_id, 1 FROM statuses WHERE id = ? AND in_reply_to_id IS NOT NULL
			UNION ALL
			SELECT s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.id
			WHERE s.in_reply_to_id IS NOT NULL AND up.depth < ?)
		SELECT `+prefixed("s.", statusColumns)+` FROM statuses s JOIN up ON s.id = up.id
		ORDER BY up.depth DESC`, st.ID, MaxThreadDepth))
	if err != nil {
		return nil, fmt.Errorf("ancestors of %d: %w", st.ID, err)
	}
	return out, nil
}

// Descendants returns the replies to st and their replies, in thread order
// (depth first, oldest reply first at each level).
func (s *Store) Descendants(ctx context.Context, st *Status) ([]*Status, error) {
	out, err := scanStatuses(s.query(ctx, `WITH RECURSIVE down(id, path, depth) AS (
			SELECT id, printf('%020d', id), 1 FROM statuses WHERE in_reply_to_id = ?
			UNION ALL
			SELECT s.id, down.path || '/' || printf('%020d', s.id), down.depth + 1
			FROM statuses s JOIN down ON s.in_reply_to_id = down.id WHERE down.depth < ?)
		SELECT `+prefixed("s.", statusColumns)+` FROM statuses s JOIN down ON s.id = down.id
		ORDER BY down.path`, st.ID, MaxThreadDepth))
	if err != nil {
		return nil, fmt.Errorf("descendants of %d: %w", st.ID, err)
	}
	return out, nil
}

// CountLocalStatuses counts the owner's statuses (not boosts) in the given
// visibilities, all when none are given (nodeinfo localPosts). It is
// CountStatuses for the owner, whose statuses are the local ones, read
// from an index of those alone (0007).
func (s *Store) CountLocalStatuses(ctx context.Context, visibilities ...string) (int, error) {
	q := `SELECT count(*) FROM statuses WHERE local = 1 AND reblog_of_id IS NULL`
	var args []any
	if len(visibilities) > 0 {
		q += ` AND visibility IN (` + placeholders(len(visibilities)) + `)`
		for _, v := range visibilities {
			args = append(args, v)
		}
	}
	var n int
	err := s.queryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// LastLocalStatusAt returns when the owner last posted, or the zero time.
func (s *Store) LastLocalStatusAt(ctx context.Context) (time.Time, error) {
	var ms sql.NullInt64
	err := s.queryRow(ctx, `SELECT max(created_at) FROM statuses WHERE local = 1`).Scan(&ms)
	if err != nil || !ms.Valid {
		return time.Time{}, err
	}
	return fromMillis(ms.Int64), nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// prefixed qualifies every column in a column list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// jsonList encodes a slice as JSON, nil as [].
func jsonList[T any](v []T) (string, error) {
	if v == nil {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}
