package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// InboxItem is a verified activity waiting to be applied.
type InboxItem struct {
	ID         int64
	ActivityID string
	Signer     string
	Body       []byte
	ReceivedAt time.Time
	Attempts   int
}

// EnqueueInbox stores a verified activity for the inbox worker. The same
// activity id is queued only once, ever: queued is false for a repeat.
func (s *Store) EnqueueInbox(ctx context.Context, activityID, signer string, body []byte, now time.Time) (queued bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO seen_activities (id, seen_at) VALUES (?, ?)`,
			activityID, millis(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		queued = true
		_, err = tx.ExecContext(ctx, `INSERT INTO inbox_queue (activity_id, signer, body, received_at, next_at)
			VALUES (?, ?, ?, ?, ?)`, activityID, signer, body, millis(now), millis(now))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("queue activity %s: %w", activityID, err)
	}
	return queued, nil
}

// DueInbox returns up to limit queued activities due at now, oldest first.
func (s *Store) DueInbox(ctx context.Context, now time.Time, limit int) ([]*InboxItem, error) {
	rows, err := s.query(ctx, `SELECT id, activity_id, signer, body, received_at, attempts
		FROM inbox_queue WHERE next_at <= ? ORDER BY id LIMIT ?`, millis(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*InboxItem
	for rows.Next() {
		var it InboxItem
		var received int64
		if err := rows.Scan(&it.ID, &it.ActivityID, &it.Signer, &it.Body, &received, &it.Attempts); err != nil {
			return nil, err
		}
		it.ReceivedAt = fromMillis(received)
		out = append(out, &it)
	}
	return out, rows.Err()
}

// NextInboxAt is when the earliest queued activity is due.
func (s *Store) NextInboxAt(ctx context.Context) (time.Time, bool, error) {
	return s.nextDue(ctx, "inbox_queue")
}

// nextDue is when the earliest row of a queue table is due: the zero
// time for a row due at once (next_at 0), ok false when the queue is
// empty. table is one of the queue tables, never input.
func (s *Store) nextDue(ctx context.Context, table string) (next time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := s.queryRow(ctx, `SELECT min(next_at) FROM `+table).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("next due in %s: %w", table, err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	if ms.Int64 == 0 {
		return time.Time{}, true, nil
	}
	return fromMillis(ms.Int64), true, nil
}

// DeleteInbox removes applied (or abandoned) activities from the queue.
func (s *Store) DeleteInbox(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM inbox_queue WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// RetryInbox schedules another attempt at a queued activity.
func (s *Store) RetryInbox(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox_queue SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`,
			attempts, millis(next), lastErr, id)
		return err
	})
}

// PruneSeenActivities forgets activity ids seen before t: a repeat of one
// that old is not something a peer sends, and the table must not grow
// for ever.
func (s *Store) PruneSeenActivities(ctx context.Context, t time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM seen_activities WHERE seen_at < ?`, millis(t))
		return err
	})
}

// CountInbox counts queued activities.
func (s *Store) CountInbox(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM inbox_queue`).Scan(&n)
	return n, err
}
