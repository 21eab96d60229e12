package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SetPinned pins (or unpins) a status of its author's profile.
func (s *Store) SetPinned(ctx context.Context, id int64, pinned bool) error {
	var at any
	if pinned {
		at = time.Now().UnixMilli()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE statuses SET pinned_at = ? WHERE id = ?`, at, id)
		if err != nil {
			return fmt.Errorf("pin status %d: %w", id, err)
		}
		return mustAffect(res, "status", id)
	})
}
