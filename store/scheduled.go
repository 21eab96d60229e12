package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ScheduledStatus is a status the owner wrote to be posted later. Params
// is the JSON of the request's parameters, kept as the handlers wrote it.
type ScheduledStatus struct {
	ID          int64
	ScheduledAt time.Time
	Params      string
	CreatedAt   time.Time
}

const scheduledColumns = `id, scheduled_at, params, created_at`

func scanScheduled(sc scanner) (*ScheduledStatus, error) {
	var s ScheduledStatus
	var at, created int64
	if err := sc.Scan(&s.ID, &at, &s.Params, &created); err != nil {
		return nil, notFound(err)
	}
	s.ScheduledAt, s.CreatedAt = fromMillis(at), fromMillis(created)
	return &s, nil
}

// InsertScheduledStatus stores a scheduled status, giving it an id.
func (s *Store) InsertScheduledStatus(ctx context.Context, ss *ScheduledStatus) error {
	if ss.ID == 0 {
		ss.ID = s.NewID()
	}
	if ss.CreatedAt.IsZero() {
		ss.CreatedAt = time.Now()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scheduled_statuses (`+scheduledColumns+`) VALUES (?, ?, ?, ?)`,
			ss.ID, millis(ss.ScheduledAt), ss.Params, millis(ss.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert scheduled status: %w", err)
		}
		return nil
	})
}

// GetScheduledStatus returns one scheduled status.
func (s *Store) GetScheduledStatus(ctx context.Context, id int64) (*ScheduledStatus, error) {
	return scanScheduled(s.queryRow(ctx, `SELECT `+scheduledColumns+` FROM scheduled_statuses WHERE id = ?`, id))
}

// ListScheduledStatuses pages through the scheduled statuses by id,
// newest first.
func (s *Store) ListScheduledStatuses(ctx context.Context, p Page) ([]*ScheduledStatus, error) {
	where, args, tail, asc := p.clause("id")
	list, err := s.scheduledRows(ctx, `SELECT `+scheduledColumns+` FROM scheduled_statuses WHERE 1`+where+tail, args...)
	if asc {
		reverse(list)
	}
	return list, err
}

// ListDueScheduledStatuses returns up to limit scheduled statuses whose
// time is at or before now, the earliest first.
func (s *Store) ListDueScheduledStatuses(ctx context.Context, now time.Time, limit int) ([]*ScheduledStatus, error) {
	return s.scheduledRows(ctx, `SELECT `+scheduledColumns+` FROM scheduled_statuses WHERE scheduled_at <= ?
		ORDER BY scheduled_at, id LIMIT ?`, millis(now), limit)
}

// NextScheduledAt returns the time of the earliest scheduled status, or
// ErrNotFound when there is none.
func (s *Store) NextScheduledAt(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := s.queryRow(ctx, `SELECT min(scheduled_at) FROM scheduled_statuses`).Scan(&at); err != nil {
		return time.Time{}, err
	}
	if !at.Valid {
		return time.Time{}, ErrNotFound
	}
	return fromMillis(at.Int64), nil
}

// CountScheduledStatuses counts the scheduled statuses due in [from, to).
func (s *Store) CountScheduledStatuses(ctx context.Context, from, to time.Time) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM scheduled_statuses WHERE scheduled_at >= ? AND scheduled_at < ?`,
		millis(from), millis(to)).Scan(&n)
	return n, err
}

// RescheduleStatus moves a scheduled status to another time.
func (s *Store) RescheduleStatus(ctx context.Context, id int64, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scheduled_statuses SET scheduled_at = ? WHERE id = ?`, millis(at), id)
		return scheduledTouched(res, err)
	})
}

// DeleteScheduledStatus removes a scheduled status; ErrNotFound when there
// is none.
func (s *Store) DeleteScheduledStatus(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM scheduled_statuses WHERE id = ?`, id)
		return scheduledTouched(res, err)
	})
}

func (s *Store) scheduledRows(ctx context.Context, q string, args ...any) ([]*ScheduledStatus, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ScheduledStatus
	for rows.Next() {
		ss, err := scanScheduled(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// scheduledTouched turns an update or delete that touched no row into
// ErrNotFound.
func scheduledTouched(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}
