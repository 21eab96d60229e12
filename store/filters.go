package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Filter actions, as Mastodon names them.
const (
	FilterWarn = "warn" // show behind a warning naming the filter
	FilterHide = "hide" // leave out
	FilterBlur = "blur" // show with media hidden
)

// Filter is one of the owner's content filters: statuses matching one of
// its keywords, or being one of its statuses, are acted on in the
// filter's contexts (home, notifications, public, thread, account) until
// it expires.
type Filter struct {
	ID        int64
	Title     string
	Context   []string
	Action    string
	ExpiresAt *time.Time
	CreatedAt time.Time
	Keywords  []*FilterKeyword
	Statuses  []*FilterStatus
}

// Expired reports whether the filter no longer applies at now.
func (f *Filter) Expired(now time.Time) bool {
	return f.ExpiresAt != nil && !f.ExpiresAt.After(now)
}

// FilterKeyword is a phrase a filter matches, case-insensitively; with
// WholeWord only at word boundaries.
type FilterKeyword struct {
	ID        int64
	FilterID  int64
	Keyword   string
	WholeWord bool
}

// FilterStatus is one status a filter matches.
type FilterStatus struct {
	ID       int64
	FilterID int64
	StatusID int64
}

// KeywordEdit is one change to a filter's keywords: with ID 0 a new
// keyword, with Destroy the removal of keyword ID, else its new values.
type KeywordEdit struct {
	ID        int64
	Keyword   string
	WholeWord bool
	Destroy   bool
}

const filterColumns = `id, title, context, action, expires_at, created_at`

func scanFilter(sc scanner) (*Filter, error) {
	f := &Filter{}
	var context string
	var expires sql.NullInt64
	var created int64
	if err := sc.Scan(&f.ID, &f.Title, &context, &f.Action, &expires, &created); err != nil {
		return nil, notFound(err)
	}
	f.Context = strings.Fields(context)
	f.ExpiresAt = fromNullMillis(expires)
	f.CreatedAt = fromMillis(created)
	return f, nil
}

// InsertFilter stores a new filter with its keywords, setting the ids.
func (s *Store) InsertFilter(ctx context.Context, f *Filter) error {
	f.CreatedAt = time.Now().UTC()
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO filters (title, context, action, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`,
			f.Title, strings.Join(f.Context, " "), f.Action, nullMillis(f.ExpiresAt), millis(f.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert filter: %w", err)
		}
		if f.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, k := range f.Keywords {
			k.FilterID = f.ID
			if err := insertFilterKeyword(ctx, tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateFilter saves a filter's title, context, action and expiry and
// applies edits to its keywords, all or nothing. An edit naming a keyword
// of another filter is ErrNotFound.
func (s *Store) UpdateFilter(ctx context.Context, f *Filter, edits []KeywordEdit) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE filters SET title = ?, context = ?, action = ?, expires_at = ? WHERE id = ?`,
			f.Title, strings.Join(f.Context, " "), f.Action, nullMillis(f.ExpiresAt), f.ID)
		if err != nil {
			return fmt.Errorf("update filter %d: %w", f.ID, err)
		}
		if err := mustAffect(res, "filter", f.ID); err != nil {
			return err
		}
		for _, e := range edits {
			switch {
			case e.ID == 0:
				err = insertFilterKeyword(ctx, tx, &FilterKeyword{FilterID: f.ID, Keyword: e.Keyword, WholeWord: e.WholeWord})
			case e.Destroy:
				res, err = tx.ExecContext(ctx, `DELETE FROM filter_keywords WHERE id = ? AND filter_id = ?`, e.ID, f.ID)
			default:
				res, err = tx.ExecContext(ctx, `UPDATE filter_keywords SET keyword = ?, whole_word = ? WHERE id = ? AND filter_id = ?`,
					e.Keyword, e.WholeWord, e.ID, f.ID)
			}
			if err == nil && e.ID != 0 {
				err = mustAffect(res, "filter keyword", e.ID)
			}
			if err != nil {
				return fmt.Errorf("filter %d keywords: %w", f.ID, err)
			}
		}
		return nil
	})
}

// DeleteFilter deletes a filter with its keywords and statuses.
func (s *Store) DeleteFilter(ctx context.Context, id int64) error {
	return s.deleteByID(ctx, `DELETE FROM filters WHERE id = ?`, "filter", id)
}

// GetFilter returns a filter with its keywords and statuses.
func (s *Store) GetFilter(ctx context.Context, id int64) (*Filter, error) {
	f, err := scanFilter(s.queryRow(ctx, `SELECT `+filterColumns+` FROM filters WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	if err := s.loadFilterParts(ctx, map[int64]*Filter{f.ID: f}, ` WHERE filter_id = ?`, f.ID); err != nil {
		return nil, err
	}
	return f, nil
}

// ListFilters returns every filter, expired or not, oldest first, with
// their keywords and statuses.
func (s *Store) ListFilters(ctx context.Context) ([]*Filter, error) {
	rows, err := s.query(ctx, `SELECT `+filterColumns+` FROM filters ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list filters: %w", err)
	}
	defer rows.Close()
	var out []*Filter
	byID := map[int64]*Filter{}
	for rows.Next() {
		f, err := scanFilter(rows)
		if err != nil {
			return nil, fmt.Errorf("list filters: %w", err)
		}
		out = append(out, f)
		byID[f.ID] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list filters: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, s.loadFilterParts(ctx, byID, "")
}

// loadFilterParts fills in the keywords and statuses of the filters in
// byID; where narrows both queries (" WHERE filter_id = ?").
func (s *Store) loadFilterParts(ctx context.Context, byID map[int64]*Filter, where string, args ...any) error {
	rows, err := s.query(ctx, `SELECT id, filter_id, keyword, whole_word FROM filter_keywords`+where+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("filter keywords: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		k := &FilterKeyword{}
		if err := rows.Scan(&k.ID, &k.FilterID, &k.Keyword, &k.WholeWord); err != nil {
			return fmt.Errorf("filter keywords: %w", err)
		}
		if f := byID[k.FilterID]; f != nil {
			f.Keywords = append(f.Keywords, k)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("filter keywords: %w", err)
	}
	srows, err := s.query(ctx, `SELECT id, filter_id, status_id FROM filter_statuses`+where+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("filter statuses: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		fs := &FilterStatus{}
		if err := srows.Scan(&fs.ID, &fs.FilterID, &fs.StatusID); err != nil {
			return fmt.Errorf("filter statuses: %w", err)
		}
		if f := byID[fs.FilterID]; f != nil {
			f.Statuses = append(f.Statuses, fs)
		}
	}
	return srows.Err()
}

func insertFilterKeyword(ctx context.Context, tx *sql.Tx, k *FilterKeyword) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO filter_keywords (filter_id, keyword, whole_word) VALUES (?, ?, ?)`,
		k.FilterID, k.Keyword, k.WholeWord)
	if err != nil {
		return fmt.Errorf("insert keyword of filter %d: %w", k.FilterID, notFoundFK(err))
	}
	k.ID, err = res.LastInsertId()
	return err
}

// InsertFilterKeyword adds a keyword to filter k.FilterID and sets k.ID;
// ErrNotFound when there is no such filter.
func (s *Store) InsertFilterKeyword(ctx context.Context, k *FilterKeyword) error {
	return s.write(ctx, func(tx *sql.Tx) error { return insertFilterKeyword(ctx, tx, k) })
}

// GetFilterKeyword returns one keyword.
func (s *Store) GetFilterKeyword(ctx context.Context, id int64) (*FilterKeyword, error) {
	k := &FilterKeyword{}
	err := s.queryRow(ctx, `SELECT id, filter_id, keyword, whole_word FROM filter_keywords WHERE id = ?`, id).
		Scan(&k.ID, &k.FilterID, &k.Keyword, &k.WholeWord)
	if err != nil {
		return nil, notFound(err)
	}
	return k, nil
}

// UpdateFilterKeyword saves a keyword's phrase and whole_word.
func (s *Store) UpdateFilterKeyword(ctx context.Context, k *FilterKeyword) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE filter_keywords SET keyword = ?, whole_word = ? WHERE id = ?`,
			k.Keyword, k.WholeWord, k.ID)
		if err != nil {
			return fmt.Errorf("update filter keyword %d: %w", k.ID, err)
		}
		return mustAffect(res, "filter keyword", k.ID)
	})
}

// DeleteFilterKeyword removes one keyword.
func (s *Store) DeleteFilterKeyword(ctx context.Context, id int64) error {
	return s.deleteByID(ctx, `DELETE FROM filter_keywords WHERE id = ?`, "filter keyword", id)
}

// InsertFilterStatus adds a status to filter fs.FilterID and sets fs.ID;
// ErrConflict when it is there already, ErrNotFound when the filter or
// the status does not exist.
func (s *Store) InsertFilterStatus(ctx context.Context, fs *FilterStatus) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO filter_statuses (filter_id, status_id) VALUES (?, ?)`, fs.FilterID, fs.StatusID)
		if err != nil {
			return fmt.Errorf("add status %d to filter %d: %w", fs.StatusID, fs.FilterID, notFoundFK(conflict(err)))
		}
		fs.ID, err = res.LastInsertId()
		return err
	})
}

// GetFilterStatus returns one filtered status entry.
func (s *Store) GetFilterStatus(ctx context.Context, id int64) (*FilterStatus, error) {
	fs := &FilterStatus{}
	err := s.queryRow(ctx, `SELECT id, filter_id, status_id FROM filter_statuses WHERE id = ?`, id).
		Scan(&fs.ID, &fs.FilterID, &fs.StatusID)
	if err != nil {
		return nil, notFound(err)
	}
	return fs, nil
}

// DeleteFilterStatus removes one filtered status entry.
func (s *Store) DeleteFilterStatus(ctx context.Context, id int64) error {
	return s.deleteByID(ctx, `DELETE FROM filter_statuses WHERE id = ?`, "filter status", id)
}

func (s *Store) deleteByID(ctx context.Context, q, what string, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, id)
		if err != nil {
			return fmt.Errorf("delete %s %d: %w", what, id, err)
		}
		return mustAffect(res, what, id)
	})
}

// notFoundFK turns a foreign key violation (the filter or status named
// does not exist) into ErrNotFound.
func notFoundFK(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w: %s", ErrNotFound, se.Error())
	}
	return err
}
