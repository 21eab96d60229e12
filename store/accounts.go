package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Field is one profile field (name and HTML value).
type Field struct {
	Name       string     `json:"name"`
	Value      string     `json:"value"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

// Account is a fediverse account: the owner (Domain "") or a remote actor.
type Account struct {
	ID              int64
	URI             string
	Username        string
	Domain          string
	DisplayName     string
	Note            string // HTML
	NoteSource      string // Markdown, owner only
	URL             string
	AvatarURL       string
	HeaderURL       string
	Inbox           string
	Outbox          string
	SharedInbox     string
	FollowersURL    string
	FollowingURL    string
	FeaturedURL     string
	PublicKeyID     string
	PublicKeyPEM    string
	ActorType       string
	Locked          bool
	Bot             bool
	Discoverable    bool
	Indexable       bool
	Fields          []Field
	AlsoKnownAs     []string
	MovedToURI      string
	FollowersCount  int
	FollowingCount  int
	StatusesCount   int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	FetchedAt       time.Time
	Emojis          []Emoji
	FeaturedTagsURL string
}

// Local reports whether a is the owner's account.
func (a *Account) Local() bool { return a.Domain == "" }

// Owner is the one local account with its secrets.
type Owner struct {
	Account       *Account
	PasswordHash  string
	PrivateKeyPEM string
	CreatedAt     time.Time
}

const accountColumns = `id, uri, username, domain, display_name, note, note_source, url,
	avatar_url, header_url, inbox, outbox, shared_inbox, followers_url, following_url,
	featured_url, public_key_id, public_key_pem, actor_type, locked, bot, discoverable,
	indexable, fields, also_known_as, moved_to_uri, followers_count, following_count,
	statuses_count, created_at, updated_at, fetched_at, emojis, featured_tags_url`

func scanAccount(sc scanner) (*Account, error) {
	var a Account
	var fields, aka, emojis string
	var created, updated, fetched int64
	err := sc.Scan(&a.ID, &a.URI, &a.Username, &a.Domain, &a.DisplayName, &a.Note, &a.NoteSource,
		&a.URL, &a.AvatarURL, &a.HeaderURL, &a.Inbox, &a.Outbox, &a.SharedInbox, &a.FollowersURL,
		&a.FollowingURL, &a.FeaturedURL, &a.PublicKeyID, &a.PublicKeyPEM, &a.ActorType, &a.Locked,
		&a.Bot, &a.Discoverable, &a.Indexable, &fields, &aka, &a.MovedToURI, &a.FollowersCount,
		&a.FollowingCount, &a.StatusesCount, &created, &updated, &fetched, &emojis, &a.FeaturedTagsURL)
	if err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(fields), &a.Fields); err != nil {
		return nil, fmt.Errorf("account %d fields: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(aka), &a.AlsoKnownAs); err != nil {
		return nil, fmt.Errorf("account %d also_known_as: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(emojis), &a.Emojis); err != nil {
		return nil, fmt.Errorf("account %d emojis: %w", a.ID, err)
	}
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	if fetched > 0 {
		a.FetchedAt = fromMillis(fetched)
	}
	return &a, nil
}

func scanAccounts(rows *sql.Rows, err error) ([]*Account, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// accountArgs returns a's columns after id, in accountColumns order.
func accountArgs(a *Account) ([]any, error) {
	if a.Fields == nil {
		a.Fields = []Field{}
	}
	if a.AlsoKnownAs == nil {
		a.AlsoKnownAs = []string{}
	}
	fields, err := json.Marshal(a.Fields)
	if err != nil {
		return nil, err
	}
	aka, err := json.Marshal(a.AlsoKnownAs)
	if err != nil {
		return nil, err
	}
	if a.ActorType == "" {
		a.ActorType = "Person"
	}
	emojis, err := jsonList(a.Emojis)
	if err != nil {
		return nil, err
	}
	return []any{a.URI, a.Username, a.Domain, a.DisplayName, a.Note, a.NoteSource, a.URL,
		a.AvatarURL, a.HeaderURL, a.Inbox, a.Outbox, a.SharedInbox, a.FollowersURL,
		a.FollowingURL, a.FeaturedURL, a.PublicKeyID, a.PublicKeyPEM, a.ActorType, a.Locked,
		a.Bot, a.Discoverable, a.Indexable, string(fields), string(aka), a.MovedToURI,
		a.FollowersCount, a.FollowingCount, a.StatusesCount, millis(a.CreatedAt),
		millis(a.UpdatedAt), millisOrZero(a.FetchedAt), emojis, a.FeaturedTagsURL}, nil
}

func insertAccount(ctx context.Context, tx *sql.Tx, a *Account, ids *idGen) error {
	now := time.Now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = now
	}
	a.ID = ids.next(now)
	args, err := accountArgs(a)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO accounts (`+accountColumns+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		append([]any{a.ID}, args...)...)
	if err != nil {
		return fmt.Errorf("insert account %s: %w", a.URI, conflict(err))
	}
	return nil
}

// InsertAccount stores a new account and sets a.ID.
func (s *Store) InsertAccount(ctx context.Context, a *Account) error {
	return s.write(ctx, func(tx *sql.Tx) error { return insertAccount(ctx, tx, a, s.ids) })
}

// UpdateAccount writes every column of a (found by a.ID) back.
func (s *Store) UpdateAccount(ctx context.Context, a *Account) error {
	a.UpdatedAt = time.Now()
	args, err := accountArgs(a)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET uri=?, username=?, domain=?,
			display_name=?, note=?, note_source=?, url=?, avatar_url=?, header_url=?, inbox=?,
			outbox=?, shared_inbox=?, followers_url=?, following_url=?, featured_url=?,
			public_key_id=?, public_key_pem=?, actor_type=?, locked=?, bot=?, discoverable=?,
			indexable=?, fields=?, also_known_as=?, moved_to_uri=?, followers_count=?,
			following_count=?, statuses_count=?, created_at=?, updated_at=?, fetched_at=?,
			emojis=?, featured_tags_url=? WHERE id=?`, append(args, a.ID)...)
		if err != nil {
			return fmt.Errorf("update account %d: %w", a.ID, conflict(err))
		}
		return mustAffect(res, "account", a.ID)
	})
}

// GetAccount returns the account with the given id.
func (s *Store) GetAccount(ctx context.Context, id int64) (*Account, error) {
	return scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
}

// GetAccountByURI returns the account whose actor id is uri.
func (s *Store) GetAccountByURI(ctx context.Context, uri string) (*Account, error) {
	return scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE uri = ?`, uri))
}

// GetAccountByHandle returns the account username@domain (domain "" for the
// owner), case-insensitively as WebFinger matches.
func (s *Store) GetAccountByHandle(ctx context.Context, username, domain string) (*Account, error) {
	return scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE lower(username) = lower(?) AND lower(domain) = lower(?)`, username, domain))
}

// CreateOwner stores the owner's account and secrets in one transaction. It
// fails with ErrConflict if an owner exists already.
func (s *Store) CreateOwner(ctx context.Context, o *Owner) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM owner`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("create owner: %w", ErrConflict)
		}
		o.Account.Domain = ""
		if err := insertAccount(ctx, tx, o.Account, s.ids); err != nil {
			return err
		}
		o.CreatedAt = o.Account.CreatedAt
		_, err := tx.ExecContext(ctx, `INSERT INTO owner (account_id, password_hash, private_key_pem, created_at)
			VALUES (?, ?, ?, ?)`, o.Account.ID, o.PasswordHash, o.PrivateKeyPEM, millis(o.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert owner: %w", err)
		}
		return nil
	})
}

// GetOwner returns the owner with the account; ErrNotFound before set-up.
func (s *Store) GetOwner(ctx context.Context) (*Owner, error) {
	var o Owner
	var accountID, created int64
	err := s.queryRow(ctx, `SELECT account_id, password_hash, private_key_pem, created_at
		FROM owner LIMIT 1`).Scan(&accountID, &o.PasswordHash, &o.PrivateKeyPEM, &created)
	if err != nil {
		return nil, notFound(err)
	}
	o.CreatedAt = fromMillis(created)
	if o.Account, err = s.GetAccount(ctx, accountID); err != nil {
		return nil, fmt.Errorf("owner account: %w", err)
	}
	return &o, nil
}

// SetOwnerPassword replaces the owner's password hash.
func (s *Store) SetOwnerPassword(ctx context.Context, hash string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE owner SET password_hash = ?`, hash)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return mustAffect(res, "owner", 0)
	})
}

func mustAffect(res sql.Result, what string, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
	}
	return nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func millisOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromNullMillis(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMillis(n.Int64)
	return &t
}

// KnownDomains lists, sorted, the domains of every remote account known.
func (s *Store) KnownDomains(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT lower(domain) FROM accounts WHERE domain != '' ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
