package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Batch reads: what rendering a page of statuses needs, one query per kind
// for the whole page instead of one per status. The ids travel as one JSON
// array bound to json_each(?), so each statement's text is the same
// whatever the page size and is prepared once (stmts.go).

// GetStatuses returns the statuses with the given ids, by id; ids with no
// status are left out.
func (s *Store) GetStatuses(ctx context.Context, ids []int64) (map[int64]*Status, error) {
	out := make(map[int64]*Status, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := scanStatuses(s.query(ctx, `SELECT `+statusColumns+` FROM statuses
		WHERE id IN (SELECT value FROM json_each(?))`, idList(ids)))
	if err != nil {
		return nil, fmt.Errorf("statuses by id: %w", err)
	}
	for _, st := range list {
		out[st.ID] = st
	}
	return out, nil
}

// GetAccounts returns the accounts with the given ids, by id; ids with no
// account are left out.
func (s *Store) GetAccounts(ctx context.Context, ids []int64) (map[int64]*Account, error) {
	out := make(map[int64]*Account, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := scanAccounts(s.query(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE id IN (SELECT value FROM json_each(?))`, idList(ids)))
	if err != nil {
		return nil, fmt.Errorf("accounts by id: %w", err)
	}
	for _, a := range list {
		out[a.ID] = a
	}
	return out, nil
}

// GetStatusPartsOf is GetStatusParts for many statuses: every id has an
// entry, empty when the status carries nothing.
func (s *Store) GetStatusPartsOf(ctx context.Context, ids []int64) (map[int64]*StatusParts, error) {
	out := make(map[int64]*StatusParts, len(ids))
	for _, id := range ids {
		out[id] = &StatusParts{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	list := idList(ids)
	err := s.eachRow(ctx, func(rows *sql.Rows) error {
		var sid, a int64
		if err := rows.Scan(&sid, &a); err != nil {
			return err
		}
		out[sid].Mentions = append(out[sid].Mentions, a)
		return nil
	}, `SELECT status_id, account_id FROM mentions WHERE status_id IN (SELECT value FROM json_each(?))
		ORDER BY status_id, account_id`, list)
	if err != nil {
		return nil, fmt.Errorf("mentions: %w", err)
	}
	err = s.eachRow(ctx, func(rows *sql.Rows) error {
		var sid int64
		var name string
		if err := rows.Scan(&sid, &name); err != nil {
			return err
		}
		out[sid].Tags = append(out[sid].Tags, name)
		return nil
	}, `SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id
		WHERE st.status_id IN (SELECT value FROM json_each(?)) ORDER BY st.status_id, t.name`, list)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	err = s.eachRow(ctx, func(rows *sql.Rows) error {
		m, err := scanMedia(rows)
		if err != nil {
			return err
		}
		out[*m.StatusID].Media = append(out[*m.StatusID].Media, m)
		return nil
	}, `SELECT `+mediaColumns+` FROM media_attachments WHERE status_id IN (SELECT value FROM json_each(?))
		ORDER BY status_id, position`, list)
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	err = s.eachRow(ctx, func(rows *sql.Rows) error {
		p, err := scanPoll(rows)
		if err != nil {
			return err
		}
		out[p.StatusID].Poll = p
		return nil
	}, `SELECT `+pollColumns+` FROM polls WHERE status_id IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return nil, fmt.Errorf("polls: %w", err)
	}
	return out, nil
}

// StatusState is what one account did with a status, and whether the
// owner bookmarked it.
type StatusState struct {
	Favourited bool
	Boosted    bool
	Bookmarked bool
}

// GetStatusStates returns, for every id, whether accountID favourited and
// boosted the status and whether the owner bookmarked it (HasFavourited,
// HasBoosted and IsBookmarked at once).
func (s *Store) GetStatusStates(ctx context.Context, accountID int64, ids []int64) (map[int64]StatusState, error) {
	out := make(map[int64]StatusState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.eachRow(ctx, func(rows *sql.Rows) error {
		var id int64
		var v StatusState
		if err := rows.Scan(&id, &v.Favourited, &v.Boosted, &v.Bookmarked); err != nil {
			return err
		}
		out[id] = v
		return nil
	}, `SELECT j.value,
			EXISTS (SELECT 1 FROM favourites WHERE account_id = ?1 AND status_id = j.value),
			EXISTS (SELECT 1 FROM statuses WHERE account_id = ?1 AND reblog_of_id = j.value),
			EXISTS (SELECT 1 FROM bookmarks WHERE status_id = j.value)
		FROM json_each(?2) j`, accountID, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("status states: %w", err)
	}
	return out, nil
}

// ConversationsMuted is ConversationMuted for many keys: every key has an
// entry.
func (s *Store) ConversationsMuted(ctx context.Context, keys []string) (map[string]bool, error) {
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = false
	}
	if len(keys) == 0 {
		return out, nil
	}
	err := s.eachRow(ctx, func(rows *sql.Rows) error {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		out[k] = true
		return nil
	}, `SELECT conversation FROM conversation_mutes WHERE conversation IN (SELECT value FROM json_each(?))`, stringList(keys))
	if err != nil {
		return nil, fmt.Errorf("muted conversations: %w", err)
	}
	return out, nil
}

// GetPollVotesOf is PollVotes for the polls of many statuses: every id has
// an entry, nil where accountID did not vote.
func (s *Store) GetPollVotesOf(ctx context.Context, accountID int64, ids []int64) (map[int64][]int, error) {
	out := make(map[int64][]int, len(ids))
	for _, id := range ids {
		out[id] = nil
	}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.eachRow(ctx, func(rows *sql.Rows) error {
		var id int64
		var c int
		if err := rows.Scan(&id, &c); err != nil {
			return err
		}
		out[id] = append(out[id], c)
		return nil
	}, `SELECT status_id, choice FROM poll_votes WHERE status_id IN (SELECT value FROM json_each(?2)) AND account_id = ?1
		ORDER BY status_id, choice`, accountID, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("poll votes: %w", err)
	}
	return out, nil
}

// GetLastStatusTimes returns when each account last posted or boosted
// (the creation time of its newest status), as far as Roost knows: every
// id has an entry, the zero time for an account with none.
func (s *Store) GetLastStatusTimes(ctx context.Context, accountIDs []int64) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	err := s.eachRow(ctx, func(rows *sql.Rows) error {
		var id int64
		var at sql.NullInt64
		if err := rows.Scan(&id, &at); err != nil {
			return err
		}
		out[id] = time.Time{}
		if at.Valid {
			out[id] = fromMillis(at.Int64)
		}
		return nil
	}, `SELECT j.value, (SELECT created_at FROM statuses WHERE account_id = j.value
			AND visibility IN ('public', 'unlisted', 'private', 'direct') ORDER BY id DESC LIMIT 1)
		FROM json_each(?) j`, idList(accountIDs))
	if err != nil {
		return nil, fmt.Errorf("last status times: %w", err)
	}
	return out, nil
}

// GetLinkCards is GetLinkCard for many links: the cached cards by url
// ("" when the page had none); links never fetched are left out.
func (s *Store) GetLinkCards(ctx context.Context, urls []string) (map[string]string, error) {
	out := make(map[string]string, len(urls))
	if len(urls) == 0 {
		return out, nil
	}
	err := s.eachRow(ctx, func(rows *sql.Rows) error {
		var url, card string
		if err := rows.Scan(&url, &card); err != nil {
			return err
		}
		out[url] = card
		return nil
	}, `SELECT url, card FROM link_cards WHERE url IN (SELECT value FROM json_each(?))`, stringList(urls))
	if err != nil {
		return nil, fmt.Errorf("link cards: %w", err)
	}
	return out, nil
}

// eachRow runs a read query with a cached statement and calls fn on each
// row.
func (s *Store) eachRow(ctx context.Context, fn func(*sql.Rows) error, q string, args ...any) error {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// stringList encodes strings as one JSON array, for json_each(?).
func stringList(v []string) string {
	b, _ := json.Marshal(v) // []string always encodes
	return string(b)
}
