package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Uploads live in media_attachments with status_id NULL until a status
// attaches them (InsertStatus); the queries here are for that stage.

// UpdateMedia saves m's description and focal point.
func (s *Store) UpdateMedia(ctx context.Context, m *Media) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media_attachments SET description = ?, focus_x = ?, focus_y = ? WHERE id = ?`,
			m.Description, m.FocusX, m.FocusY, m.ID)
		if err != nil {
			return fmt.Errorf("update media %d: %w", m.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("update media %d: %w", m.ID, ErrNotFound)
		}
		return nil
	})
}

// ListUnattachedMediaBefore returns up to limit local uploads made before
// t that no status has attached, oldest first: what a clean-up may
// delete.
func (s *Store) ListUnattachedMediaBefore(ctx context.Context, t time.Time, limit int) ([]*Media, error) {
	rows, err := s.query(ctx, `SELECT `+mediaColumns+` FROM media_attachments
		WHERE status_id IS NULL AND file_path != '' AND created_at < ?
		AND id NOT IN (SELECT CAST(j.value AS INTEGER) FROM scheduled_statuses ss,
			json_each(ss.params, '$.values.media_ids') j) -- waiting for a scheduled status
		ORDER BY created_at LIMIT ?`, millis(t), limit)
	if err != nil {
		return nil, fmt.Errorf("list unattached media: %w", err)
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

// DeleteUnattachedMedia removes an upload that no status has attached;
// ErrNotFound if there is none (or a status attached it meanwhile). The
// caller removes its files.
func (s *Store) DeleteUnattachedMedia(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM media_attachments WHERE id = ? AND status_id IS NULL`, id)
		if err != nil {
			return fmt.Errorf("delete media %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("delete media %d: %w", id, ErrNotFound)
		}
		return nil
	})
}
