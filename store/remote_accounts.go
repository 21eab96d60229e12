package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UpsertRemoteAccount stores a remote account fetched from its server:
// inserted when its uri is new, else written over the row with that uri,
// keeping the row's id and created_at (both are set on a). A newer fetch
// wins the handle: if another row holds username@domain (the actor renamed
// itself, or a stale row kept a handle its server has since given to
// another actor), that row's username is moved aside to "username~id", so
// the unique handle index holds and GetAccountByHandle finds the fresh
// actor. The owner's row is never touched: an a without a domain, or with
// the owner's uri, gives ErrConflict.
func (s *Store) UpsertRemoteAccount(ctx context.Context, a *Account) error {
	if a.Domain == "" {
		return fmt.Errorf("upsert remote account %s: no domain: %w", a.URI, ErrConflict)
	}
	now := time.Now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.UpdatedAt = now
	newID := s.ids.next(now)
	args, err := accountArgs(a)
	if err != nil {
		return fmt.Errorf("upsert remote account %s: %w", a.URI, err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET username = username || '~' || id
			WHERE lower(username) = lower(?) AND lower(domain) = lower(?) AND uri != ? AND domain != ''`,
			a.Username, a.Domain, a.URI)
		if err != nil {
			return fmt.Errorf("move handle %s@%s aside: %w", a.Username, a.Domain, err)
		}
		// On a uri conflict every column but id and created_at is
		// replaced; the WHERE keeps a peer's document off the owner's row,
		// and then no row is returned.
		var id, created int64
		err = tx.QueryRowContext(ctx, `INSERT INTO accounts (`+accountColumns+`)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (uri) DO UPDATE SET username = excluded.username,
				domain = excluded.domain, display_name = excluded.display_name,
				note = excluded.note, note_source = excluded.note_source, url = excluded.url,
				avatar_url = excluded.avatar_url, header_url = excluded.header_url,
				inbox = excluded.inbox, outbox = excluded.outbox,
				shared_inbox = excluded.shared_inbox, followers_url = excluded.followers_url,
				following_url = excluded.following_url, featured_url = excluded.featured_url,
				public_key_id = excluded.public_key_id, public_key_pem = excluded.public_key_pem,
				actor_type = excluded.actor_type, locked = excluded.locked, bot = excluded.bot,
				discoverable = excluded.discoverable, indexable = excluded.indexable,
				fields = excluded.fields, also_known_as = excluded.also_known_as,
				moved_to_uri = excluded.moved_to_uri, followers_count = excluded.followers_count,
				following_count = excluded.following_count,
				statuses_count = excluded.statuses_count, updated_at = excluded.updated_at,
				fetched_at = excluded.fetched_at, emojis = excluded.emojis,
				featured_tags_url = excluded.featured_tags_url
			WHERE accounts.domain != ''
			RETURNING id, created_at`, append([]any{newID}, args...)...).Scan(&id, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("upsert remote account %s: the owner's uri: %w", a.URI, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("upsert remote account %s: %w", a.URI, conflict(err))
		}
		a.ID, a.CreatedAt = id, fromMillis(created)
		return nil
	})
}

// GetAccountByKeyID returns the account whose public key has the id keyID
// (an HTTP-signature keyId); the most recently fetched one if, oddly,
// several claim it.
func (s *Store) GetAccountByKeyID(ctx context.Context, keyID string) (*Account, error) {
	if keyID == "" {
		return nil, ErrNotFound
	}
	// The != '' term lets SQLite use the partial index accounts_key_id;
	// without it every signed request scanned the accounts table.
	return scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE public_key_id = ? AND public_key_id != '' ORDER BY fetched_at DESC LIMIT 1`, keyID))
}
