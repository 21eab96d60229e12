package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Hashtags the owner features on their profile and follows on their home
// timeline. Names are compared without regard to case, as the tables'
// NOCASE collation does.

// FeaturedTag is a hashtag the owner features, with how often the owner
// used it in public and unlisted statuses.
type FeaturedTag struct {
	ID            int64
	Name          string
	StatusesCount int
	LastStatusAt  time.Time // zero when never used
	CreatedAt     time.Time
}

// tagUse counts the owner's public and unlisted statuses with tag f.name
// and finds the newest.
const tagUse = `(SELECT count(*) FROM status_tags st JOIN tags t ON t.id = st.tag_id JOIN statuses s ON s.id = st.status_id
		WHERE t.name = f.name AND s.account_id = ? AND s.visibility IN ('public', 'unlisted')),
	(SELECT max(s.created_at) FROM status_tags st JOIN tags t ON t.id = st.tag_id JOIN statuses s ON s.id = st.status_id
		WHERE t.name = f.name AND s.account_id = ? AND s.visibility IN ('public', 'unlisted'))`

func scanFeaturedTags(rows *sql.Rows, err error) ([]*FeaturedTag, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*FeaturedTag
	for rows.Next() {
		var t FeaturedTag
		var created int64
		var last sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &created, &t.StatusesCount, &last); err != nil {
			return nil, err
		}
		t.CreatedAt = fromMillis(created)
		if last.Valid {
			t.LastStatusAt = fromMillis(last.Int64)
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// ListFeaturedTags lists the owner's featured tags in the order they were
// added, counting ownerID's statuses with each.
func (s *Store) ListFeaturedTags(ctx context.Context, ownerID int64) ([]*FeaturedTag, error) {
	list, err := scanFeaturedTags(s.query(ctx, `SELECT f.id, f.name, f.created_at, `+tagUse+`
		FROM featured_tags f ORDER BY f.id`, ownerID, ownerID))
	if err != nil {
		return nil, fmt.Errorf("list featured tags: %w", err)
	}
	return list, nil
}

// GetFeaturedTag returns the featured tag with id.
func (s *Store) GetFeaturedTag(ctx context.Context, ownerID, id int64) (*FeaturedTag, error) {
	list, err := scanFeaturedTags(s.query(ctx, `SELECT f.id, f.name, f.created_at, `+tagUse+`
		FROM featured_tags f WHERE f.id = ?`, ownerID, ownerID, id))
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return list[0], nil
}

// InsertFeaturedTag features name and returns its id; ErrConflict when it
// is featured already.
func (s *Store) InsertFeaturedTag(ctx context.Context, name string) (int64, error) {
	now := time.Now()
	id := s.ids.next(now)
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO featured_tags (id, name, created_at) VALUES (?, ?, ?)`, id, name, millis(now))
		return conflict(err)
	})
	if err != nil {
		return 0, fmt.Errorf("feature tag %s: %w", name, err)
	}
	return id, nil
}

// DeleteFeaturedTag stops featuring the tag with id; ErrNotFound if there
// is none.
func (s *Store) DeleteFeaturedTag(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM featured_tags WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(res, "featured tag", id)
	})
}

// SuggestFeaturedTags lists the hashtags ownerID used most recently that
// are not featured yet, most recent first.
func (s *Store) SuggestFeaturedTags(ctx context.Context, ownerID int64, limit int) ([]string, error) {
	return scanNameColumn(s.query(ctx, `SELECT t.name FROM tags t JOIN status_tags st ON st.tag_id = t.id
		JOIN statuses s ON s.id = st.status_id
		WHERE s.account_id = ? AND t.name NOT IN (SELECT name FROM featured_tags)
		GROUP BY t.id ORDER BY max(s.id) DESC LIMIT ?`, ownerID, limit))
}

// Tag is a hashtag as the owner sees it.
type Tag struct {
	ID        int64
	Name      string
	Following bool
	Featuring bool
}

// EnsureTag returns the hashtag name, recording it if Roost has not seen it
// yet (apps need an id for a tag before anyone used it here).
func (s *Store) EnsureTag(ctx context.Context, name string) (*Tag, error) {
	t, err := s.getTag(ctx, name)
	if !errors.Is(err, ErrNotFound) {
		return t, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO tags (name) VALUES (?)`, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("insert tag %s: %w", name, err)
	}
	return s.getTag(ctx, name)
}

func (s *Store) getTag(ctx context.Context, name string) (*Tag, error) {
	var t Tag
	err := s.queryRow(ctx, `SELECT t.id, t.name,
		EXISTS (SELECT 1 FROM followed_tags WHERE name = t.name),
		EXISTS (SELECT 1 FROM featured_tags WHERE name = t.name)
		FROM tags t WHERE t.name = ?`, name).Scan(&t.ID, &t.Name, &t.Following, &t.Featuring)
	if err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// TagDay is one day of a hashtag's use.
type TagDay struct {
	Day      time.Time // midnight UTC
	Uses     int
	Accounts int
}

// TagHistory counts the statuses with tag name and their authors on each
// of the last days days, newest day first, as Mastodon's Tag.history.
func (s *Store) TagHistory(ctx context.Context, name string, days int, now time.Time) ([]TagDay, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(days - 1))
	rows, err := s.query(ctx, `SELECT (s.created_at - ?) / 86400000, count(*), count(DISTINCT s.account_id)
		FROM status_tags st JOIN tags t ON t.id = st.tag_id JOIN statuses s ON s.id = st.status_id
		WHERE t.name = ? AND s.created_at >= ? GROUP BY 1`, millis(from), name, millis(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]TagDay, days)
	for i := range out {
		out[i].Day = today.AddDate(0, 0, -i)
	}
	for rows.Next() {
		var d, uses, accts int
		if err := rows.Scan(&d, &uses, &accts); err != nil {
			return nil, err
		}
		if i := days - 1 - d; i >= 0 && i < days {
			out[i].Uses, out[i].Accounts = uses, accts
		}
	}
	return out, rows.Err()
}

// FollowTag makes the owner follow (or, with on false, unfollow) hashtag
// name: public statuses with it come onto the home timeline.
func (s *Store) FollowTag(ctx context.Context, name string, on bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if !on {
			_, err := tx.ExecContext(ctx, `DELETE FROM followed_tags WHERE name = ?`, name)
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO tags (name) VALUES (?)`, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO followed_tags (name, created_at) VALUES (?, ?)`,
			name, millis(time.Now()))
		return err
	})
}

// ListFollowedTags lists the hashtags the owner follows, by name.
func (s *Store) ListFollowedTags(ctx context.Context, limit int) ([]*Tag, error) {
	rows, err := s.query(ctx, `SELECT t.id, t.name, EXISTS (SELECT 1 FROM featured_tags WHERE name = t.name)
		FROM followed_tags f JOIN tags t ON t.name = f.name ORDER BY t.name LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Tag
	for rows.Next() {
		t := &Tag{Following: true}
		if err := rows.Scan(&t.ID, &t.Name, &t.Featuring); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// FollowsAnyTag reports whether the owner follows one of names.
func (s *Store) FollowsAnyTag(ctx context.Context, names []string) (bool, error) {
	if len(names) == 0 {
		return false, nil
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = strings.TrimPrefix(n, "#")
	}
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM followed_tags WHERE name IN (`+placeholders(len(names))+`)`, args...).Scan(&n)
	return n > 0, err
}

// hasFollowedTag is true of the status row s when it has a hashtag the
// owner follows, for the home timeline. It is looked up for each row the
// timeline walks (by the status_tags primary key): a list of every status
// with a followed tag, as "s.id IN (SELECT …)" would build, scanned all of
// status_tags on every page.
const hasFollowedTag = `EXISTS (SELECT 1 FROM status_tags st JOIN tags t ON t.id = st.tag_id
	JOIN followed_tags ft ON ft.name = t.name WHERE st.status_id = s.id)`

func scanNameColumn(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
