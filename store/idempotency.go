package store

import (
	"context"
	"database/sql"
	"time"
)

// idempotencyTTL is how long an Idempotency-Key is remembered (Mastodon:
// an hour).
const idempotencyTTL = time.Hour

// IdempotentStatus returns the status an Idempotency-Key already made, or
// ErrNotFound.
func (s *Store) IdempotentStatus(ctx context.Context, key string) (int64, error) {
	var id int64
	err := s.queryRow(ctx, `SELECT status_id FROM idempotency_keys WHERE key = ? AND created_at > ?`,
		key, millis(time.Now().Add(-idempotencyTTL))).Scan(&id)
	return id, notFound(err)
}

// RememberIdempotent records that key made statusID, and forgets keys
// older than an hour.
func (s *Store) RememberIdempotent(ctx context.Context, key string, statusID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at <= ?`,
			millis(time.Now().Add(-idempotencyTTL))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO idempotency_keys (key, status_id, created_at) VALUES (?, ?, ?)`,
			key, statusID, millis(time.Now()))
		return err
	})
}
