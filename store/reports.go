package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Report is a report about an account. The owner's own reports name the
// reported account; a report that arrived as a Flag from another server
// is about the owner and names the account that sent it (the table has no
// column for both).
type Report struct {
	ID        int64
	AccountID int64
	StatusIDs []int64
	Comment   string
	Category  string
	Forwarded bool
	CreatedAt time.Time
}

const reportColumns = `id, account_id, status_ids, comment, category, forwarded, created_at`

func scanReport(sc scanner) (*Report, error) {
	var r Report
	var ids string
	var created int64
	if err := sc.Scan(&r.ID, &r.AccountID, &ids, &r.Comment, &r.Category, &r.Forwarded, &created); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(ids), &r.StatusIDs); err != nil {
		return nil, fmt.Errorf("report %d status ids: %w", r.ID, err)
	}
	r.CreatedAt = fromMillis(created)
	return &r, nil
}

// InsertReport stores a report, giving it an id.
func (s *Store) InsertReport(ctx context.Context, r *Report) error {
	if r.ID == 0 {
		r.ID = s.NewID()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	if r.Category == "" {
		r.Category = "other"
	}
	ids := r.StatusIDs
	if ids == nil {
		ids = []int64{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reports (`+reportColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.AccountID, string(b), r.Comment, r.Category, r.Forwarded, millis(r.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert report: %w", err)
		}
		return nil
	})
}

// GetReport returns one report.
func (s *Store) GetReport(ctx context.Context, id int64) (*Report, error) {
	return scanReport(s.queryRow(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
}

// ListReportsByAccount lists the reports naming an account, newest first.
func (s *Store) ListReportsByAccount(ctx context.Context, accountID int64) ([]*Report, error) {
	rows, err := s.query(ctx, `SELECT `+reportColumns+` FROM reports WHERE account_id = ? ORDER BY id DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
