package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// GetLinkCard returns the cached preview card of url (the PreviewCard JSON,
// "" when the page had none) and when it was fetched.
func (s *Store) GetLinkCard(ctx context.Context, url string) (card string, fetchedAt time.Time, err error) {
	var at int64
	err = s.queryRow(ctx, `SELECT card, fetched_at FROM link_cards WHERE url = ?`, url).Scan(&card, &at)
	if err != nil {
		return "", time.Time{}, notFound(err)
	}
	return card, fromMillis(at), nil
}

// PutLinkCard caches the preview card of url ("" for none).
func (s *Store) PutLinkCard(ctx context.Context, url, card string, fetchedAt time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO link_cards (url, card, fetched_at) VALUES (?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET card = excluded.card, fetched_at = excluded.fetched_at`,
			url, card, millis(fetchedAt))
		if err != nil {
			return fmt.Errorf("cache card of %s: %w", url, err)
		}
		return nil
	})
}
