package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// StatusParts is what a status carries besides its own row.
type StatusParts struct {
	Mentions []int64 // mentioned account ids
	Tags     []string
	Media    []*Media
	Poll     *Poll
}

// Media is an attachment of a status.
type Media struct {
	ID          int64
	StatusID    *int64
	AccountID   int64
	Position    int
	Type        string // image, gifv, video, audio, unknown
	MediaType   string
	RemoteURL   string
	FilePath    string
	PreviewPath string
	Description string
	Blurhash    string
	FocusX      float64
	FocusY      float64
	Width       int
	Height      int
	CreatedAt   time.Time
}

// Poll is the poll of a status.
type Poll struct {
	StatusID    int64
	Multiple    bool
	Options     []PollOption
	VotersCount int
	ExpiresAt   *time.Time
	Closed      bool
	UpdatedAt   time.Time
}

// PollOption is one choice of a poll with its count.
type PollOption struct {
	Title      string `json:"title"`
	VotesCount int    `json:"votes_count"`
}

// InsertStatus stores st with its parts and sets st.ID. A local status
// gets a fresh id now; a remote one an id from its published time, so
// timelines sort by when posts were written. The parent's replies_count and
// a boosted status's reblogs_count are kept up to date.
func (tx *Tx) InsertStatus(st *Status, parts *StatusParts) error {
	if st.CreatedAt.IsZero() {
		st.CreatedAt = time.Now()
	}
	if st.Visibility == "" {
		st.Visibility = Public
	}
	preset := st.ID != 0 // a local status whose id (and so uri) was made first
	for attempt := 0; ; attempt++ {
		switch {
		case preset:
		case st.Local:
			st.ID = tx.s.ids.next(st.CreatedAt)
		default:
			st.ID = IDAt(st.CreatedAt)
		}
		err := insertStatus(tx.ctx, tx.tx, st)
		if err == nil {
			break
		}
		// A remote id may collide with another made in the same
		// millisecond; the uri must not.
		if preset || !errors.Is(err, ErrConflict) || attempt == 5 || strings.Contains(err.Error(), "statuses.uri") {
			return fmt.Errorf("insert status %s: %w", st.URI, err)
		}
	}
	if st.InReplyToID != nil {
		if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?`,
			*st.InReplyToID); err != nil {
			return fmt.Errorf("count reply: %w", err)
		}
	}
	if st.ReblogOfID != nil {
		if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?`,
			*st.ReblogOfID); err != nil {
			return fmt.Errorf("count boost: %w", err)
		}
	}
	return tx.insertParts(st, parts)
}

func (tx *Tx) insertParts(st *Status, parts *StatusParts) error {
	if parts == nil {
		return nil
	}
	for _, id := range parts.Mentions {
		if _, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO mentions (status_id, account_id) VALUES (?, ?)`,
			st.ID, id); err != nil {
			return fmt.Errorf("insert mention: %w", err)
		}
	}
	for _, name := range parts.Tags {
		if _, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO tags (name) VALUES (?)`, name); err != nil {
			return fmt.Errorf("insert tag: %w", err)
		}
		if _, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO status_tags (status_id, tag_id)
			SELECT ?, id FROM tags WHERE name = ?`, st.ID, name); err != nil {
			return fmt.Errorf("tag status: %w", err)
		}
	}
	for i, m := range parts.Media {
		m.StatusID, m.AccountID, m.Position = &st.ID, st.AccountID, i
		if m.ID != 0 { // uploaded earlier, attached now
			if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE media_attachments SET status_id = ?, position = ? WHERE id = ?`,
				st.ID, i, m.ID); err != nil {
				return fmt.Errorf("attach media: %w", err)
			}
			continue
		}
		if err := tx.InsertMedia(m); err != nil {
			return err
		}
	}
	if p := parts.Poll; p != nil {
		p.StatusID = st.ID
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt = time.Now()
		}
		opts, err := json.Marshal(p.Options)
		if err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO polls (status_id, multiple, options, voters_count, expires_at, closed, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, st.ID, p.Multiple, string(opts), p.VotersCount, nullMillis(p.ExpiresAt), p.Closed,
			millis(p.UpdatedAt)); err != nil {
			return fmt.Errorf("insert poll: %w", err)
		}
	}
	return nil
}

// InsertMedia stores an attachment and sets m.ID.
func (tx *Tx) InsertMedia(m *Media) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	m.ID = tx.s.ids.next(m.CreatedAt)
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO media_attachments (id, status_id, account_id, position, type,
		media_type, remote_url, file_path, preview_path, description, blurhash, focus_x, focus_y, width, height, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, m.ID, m.StatusID, m.AccountID, m.Position, m.Type, m.MediaType,
		m.RemoteURL, m.FilePath, m.PreviewPath, m.Description, m.Blurhash, m.FocusX, m.FocusY, m.Width, m.Height,
		millis(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert media: %w", err)
	}
	return nil
}

// EditStatus replaces the content of st (found by st.ID) and its parts,
// keeping the previous version in the edit history.
func (tx *Tx) EditStatus(st *Status, parts *StatusParts) error {
	old, err := scanStatus(tx.tx.QueryRowContext(tx.ctx, `SELECT `+statusColumns+` FROM statuses WHERE id = ?`, st.ID))
	if err != nil {
		return fmt.Errorf("edit status %d: %w", st.ID, err)
	}
	var versions int
	if err := tx.tx.QueryRowContext(tx.ctx, `SELECT count(*) FROM status_edits WHERE status_id = ?`, st.ID).Scan(&versions); err != nil {
		return err
	}
	if versions == 0 { // the first edit also records the original
		at := old.CreatedAt
		if err := tx.insertEdit(old, at); err != nil {
			return err
		}
	}
	emojis, err := jsonList(st.Emojis)
	if err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE statuses SET content = ?, source = ?, spoiler_text = ?, sensitive = ?,
		language = ?, edited_at = ?, emojis = ?, quote_uri = ? WHERE id = ?`, st.Content, st.Source, st.SpoilerText,
		st.Sensitive, st.Language, nullMillis(st.EditedAt), emojis, st.QuoteURI, st.ID); err != nil {
		return fmt.Errorf("edit status %d: %w", st.ID, err)
	}
	at := time.Now()
	if st.EditedAt != nil {
		at = *st.EditedAt
	}
	if err := tx.insertEdit(st, at); err != nil {
		return err
	}
	if parts == nil {
		return nil
	}
	for _, q := range []string{`DELETE FROM mentions WHERE status_id = ?`, `DELETE FROM status_tags WHERE status_id = ?`,
		`DELETE FROM media_attachments WHERE status_id = ?`} {
		if _, err := tx.tx.ExecContext(tx.ctx, q, st.ID); err != nil {
			return err
		}
	}
	poll := parts.Poll
	parts.Poll = nil
	if err := tx.insertParts(st, parts); err != nil {
		return err
	}
	if poll != nil {
		return tx.UpdatePollCounts(st.ID, poll)
	}
	return nil
}

func (tx *Tx) insertEdit(st *Status, at time.Time) error {
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO status_edits (id, status_id, content, spoiler_text, sensitive, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, tx.s.ids.next(time.Now()), st.ID, st.Content, st.SpoilerText, st.Sensitive, millis(at))
	if err != nil {
		return fmt.Errorf("record edit: %w", err)
	}
	return nil
}

// UpdatePollCounts replaces a poll's counts (and closed state) as its
// origin reports them.
func (tx *Tx) UpdatePollCounts(statusID int64, p *Poll) error {
	opts, err := json.Marshal(p.Options)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(tx.ctx, `UPDATE polls SET options = ?, voters_count = ?, closed = ?, expires_at = ?,
		updated_at = ? WHERE status_id = ?`, string(opts), p.VotersCount, p.Closed, nullMillis(p.ExpiresAt),
		millis(time.Now()), statusID)
	return err
}

// DeleteStatus removes a status (its boosts, parts and notifications go
// with it) and remembers its uri as deleted.
func (tx *Tx) DeleteStatus(st *Status) error {
	if st.InReplyToID != nil {
		if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE statuses SET replies_count = max(replies_count - 1, 0) WHERE id = ?`,
			*st.InReplyToID); err != nil {
			return err
		}
	}
	if st.ReblogOfID != nil {
		if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE statuses SET reblogs_count = max(reblogs_count - 1, 0) WHERE id = ?`,
			*st.ReblogOfID); err != nil {
			return err
		}
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM statuses WHERE id = ?`, st.ID); err != nil {
		return fmt.Errorf("delete status %d: %w", st.ID, err)
	}
	if st.ReblogOfID == nil {
		return tx.AddTombstone(st.URI)
	}
	return nil
}

// AddTombstone remembers that uri was deleted.
func (tx *Tx) AddTombstone(uri string) error {
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO tombstones (uri, deleted_at) VALUES (?, ?)`, uri, millis(time.Now()))
	return err
}

// IsTombstone reports whether uri was deleted.
func (s *Store) IsTombstone(ctx context.Context, uri string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM tombstones WHERE uri = ?`, uri).Scan(&n)
	return n > 0, err
}

// GetStatusParts loads a status's mentions, tags, media and poll.
func (s *Store) GetStatusParts(ctx context.Context, id int64) (*StatusParts, error) {
	p := &StatusParts{}
	rows, err := s.query(ctx, `SELECT account_id FROM mentions WHERE status_id = ? ORDER BY account_id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a int64
		rows.Scan(&a)
		p.Mentions = append(p.Mentions, a)
	}
	rows.Close()
	rows, err = s.query(ctx, `SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = ? ORDER BY t.name`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		p.Tags = append(p.Tags, n)
	}
	rows.Close()
	if p.Media, err = s.statusMedia(ctx, id); err != nil {
		return nil, err
	}
	if p.Poll, err = s.GetPoll(ctx, id); errors.Is(err, ErrNotFound) {
		err = nil
	}
	return p, err
}

const mediaColumns = `id, status_id, account_id, position, type, media_type, remote_url, file_path, preview_path,
	description, blurhash, focus_x, focus_y, width, height, created_at`

func scanMedia(sc scanner) (*Media, error) {
	var m Media
	var sid sql.NullInt64
	var created int64
	err := sc.Scan(&m.ID, &sid, &m.AccountID, &m.Position, &m.Type, &m.MediaType, &m.RemoteURL, &m.FilePath,
		&m.PreviewPath, &m.Description, &m.Blurhash, &m.FocusX, &m.FocusY, &m.Width, &m.Height, &created)
	if err != nil {
		return nil, notFound(err)
	}
	m.StatusID, m.CreatedAt = nullInt(sid), fromMillis(created)
	return &m, nil
}

func (s *Store) statusMedia(ctx context.Context, id int64) ([]*Media, error) {
	rows, err := s.query(ctx, `SELECT `+mediaColumns+` FROM media_attachments WHERE status_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Media
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// GetPoll returns the poll of a status.
func (s *Store) GetPoll(ctx context.Context, statusID int64) (*Poll, error) {
	return scanPoll(s.queryRow(ctx, `SELECT `+pollColumns+` FROM polls WHERE status_id = ?`, statusID))
}

const pollColumns = `status_id, multiple, options, voters_count, expires_at, closed, updated_at`

func scanPoll(sc scanner) (*Poll, error) {
	var p Poll
	var opts string
	var expires sql.NullInt64
	var updated int64
	err := sc.Scan(&p.StatusID, &p.Multiple, &opts, &p.VotersCount, &expires, &p.Closed, &updated)
	if err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(opts), &p.Options); err != nil {
		return nil, err
	}
	p.ExpiresAt, p.UpdatedAt = fromNullMillis(expires), fromMillis(updated)
	return &p, nil
}

// StatusEdit is one version of an edited status.
type StatusEdit struct {
	Content     string
	SpoilerText string
	Sensitive   bool
	CreatedAt   time.Time
}

// ListStatusEdits returns every version of a status, oldest first (empty
// if it was never edited).
func (s *Store) ListStatusEdits(ctx context.Context, statusID int64) ([]StatusEdit, error) {
	rows, err := s.query(ctx, `SELECT content, spoiler_text, sensitive, created_at FROM status_edits
		WHERE status_id = ? ORDER BY id`, statusID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatusEdit
	for rows.Next() {
		var e StatusEdit
		var at int64
		if err := rows.Scan(&e.Content, &e.SpoilerText, &e.Sensitive, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetMedia returns an attachment.
func (s *Store) GetMedia(ctx context.Context, id int64) (*Media, error) {
	return scanMedia(s.queryRow(ctx, `SELECT `+mediaColumns+` FROM media_attachments WHERE id = ?`, id))
}
