package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Pruning keeps the database bounded on a small disk: remote statuses and
// accounts the owner never interacted with are removed once they are older
// than a cutoff. They are a cache of the fediverse, not the owner's data,
// so nothing is tombstoned and nothing is sent: a pruned status comes back
// if a peer sends or links it again. Removal runs in batches of PruneBatch
// rows, one write transaction each, so that a serving Roost is never held
// up for long; the rows of a status's parts (media, mentions, tags, polls,
// edits) go with it through ON DELETE CASCADE. Remote media are remote URLs
// (Roost keeps no files of them), and the owner's files are never touched.
// Cached link previews fetched before the cutoff go too: they are stale
// long before it, and fetched again when asked for.

// PruneBatch is how many rows one pruning transaction removes.
const PruneBatch = 500

// TombstoneAge is how long the tombstones of remote objects are kept: long
// enough that no peer still retries an activity about them.
const TombstoneAge = 365 * 24 * time.Hour

// PruneOptions says what Prune removes.
type PruneOptions struct {
	// Before is the cutoff: remote statuses created, and remote accounts
	// last fetched, before it may go.
	Before time.Time
	// DryRun counts what would be removed and changes nothing.
	DryRun bool
	// Progress, when not nil, is called after each batch with the number
	// of rows handled so far and the total (not for a dry run).
	Progress func(done, total int)
}

// PruneResult counts what Prune removed, or would remove in a dry run.
type PruneResult struct {
	Statuses       int // remote statuses and boosts
	Media          int // media attachments of those statuses
	Accounts       int // remote accounts
	SeenActivities int // inbox dedupe ids older than the cutoff
	Tombstones     int // remote tombstones older than TombstoneAge
	LinkCards      int // link previews fetched before the cutoff
}

// ownerID is the owner's account id inside a query.
const ownerID = `(SELECT account_id FROM owner)`

// statusPrunable holds for a status s (?1: the cutoff in milliseconds)
// that is remote, old, and that nothing of the owner's refers to: no
// favourite, reaction, bookmark, vote, boost or reply of the owner's, no
// mention of the owner, not a reply to the owner, no notification, not
// pinned or in a filter, and no boost of it that stays. It is checked again
// in every deleting batch, so that what the owner does meanwhile wins.
const statusPrunable = `s.local = 0 AND s.created_at < ?1 AND s.pinned_at IS NULL
	AND coalesce(s.in_reply_to_account_id, 0) != ` + ownerID + `
	AND NOT EXISTS (SELECT 1 FROM statuses p WHERE p.id = s.in_reply_to_id AND p.local = 1)
	AND NOT EXISTS (SELECT 1 FROM statuses c WHERE c.in_reply_to_id = s.id AND c.local = 1)
	AND NOT EXISTS (SELECT 1 FROM statuses b WHERE b.reblog_of_id = s.id AND (b.local = 1 OR b.created_at >= ?1))
	AND NOT EXISTS (SELECT 1 FROM favourites f WHERE f.account_id = ` + ownerID + ` AND f.status_id = s.id)
	AND NOT EXISTS (SELECT 1 FROM reactions r WHERE r.account_id = ` + ownerID + ` AND r.status_id = s.id)
	AND NOT EXISTS (SELECT 1 FROM poll_votes v WHERE v.status_id = s.id AND v.account_id = ` + ownerID + `)
	AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ` + ownerID + `)
	AND NOT EXISTS (SELECT 1 FROM bookmarks k WHERE k.status_id = s.id)
	AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.status_id = s.id)
	AND NOT EXISTS (SELECT 1 FROM filter_statuses x WHERE x.status_id = s.id)`

// threadKept lists statuses (ids below ?1, the smallest id of the cutoff)
// kept for their place in a conversation: every status of a thread the
// owner wrote in (the owner's statuses' ancestors and everything below
// them, and statuses of the same conversation), the ancestors of newer
// statuses (so that a fresh reply keeps its context), statuses the owner
// quoted, and statuses the owner reported.
const threadKept = `WITH RECURSIVE
	up(id) AS (
		SELECT id FROM statuses WHERE account_id = ` + ownerID + `
		UNION
		SELECT s.in_reply_to_id FROM statuses s JOIN up ON s.id = up.id WHERE s.in_reply_to_id IS NOT NULL),
	down(id) AS (
		SELECT id FROM up
		UNION
		SELECT s.id FROM statuses s JOIN down ON s.in_reply_to_id = down.id),
	parents(id) AS (
		SELECT in_reply_to_id FROM statuses WHERE id >= ?1 AND in_reply_to_id IS NOT NULL
		UNION
		SELECT s.in_reply_to_id FROM statuses s JOIN parents ON s.id = parents.id WHERE s.in_reply_to_id IS NOT NULL)
	SELECT id, 0 FROM down WHERE id < ?1
	UNION SELECT id, 0 FROM parents WHERE id < ?1
	UNION SELECT s.id, 0 FROM statuses s WHERE s.id < ?1 AND s.local = 0 AND s.conversation IN
		(SELECT conversation FROM statuses WHERE account_id = ` + ownerID + ` AND conversation != '')
	UNION SELECT s.id, 0 FROM statuses s WHERE s.uri IN
		(SELECT quote_uri FROM statuses WHERE account_id = ` + ownerID + ` AND quote_uri != '')
	UNION SELECT CAST(j.value AS INTEGER), 0 FROM reports r, json_each(r.status_ids) j`

// accountPrunable holds for an account a (?1: the cutoff) that is remote,
// was last fetched before the cutoff, and that the owner has no relation
// with: no follow either way (or request), block, mute, endorsement, list,
// note, report or notification.
const accountPrunable = `a.domain != '' AND a.fetched_at < ?1
	AND a.id NOT IN (SELECT account_id FROM follows UNION ALL SELECT target_account_id FROM follows)
	AND a.id NOT IN (SELECT account_id FROM blocks UNION ALL SELECT target_account_id FROM blocks)
	AND a.id NOT IN (SELECT target_account_id FROM mutes UNION ALL SELECT account_id FROM endorsements
		UNION ALL SELECT account_id FROM list_accounts UNION ALL SELECT account_id FROM account_notes
		UNION ALL SELECT account_id FROM reports)
	AND a.id NOT IN (SELECT from_account_id FROM notifications
		UNION ALL SELECT target_account_id FROM notifications WHERE target_account_id IS NOT NULL)`

// accountUnused holds for an account a that no status refers to: it wrote
// none, none replies to or mentions it, and it has no favourite, reaction
// or vote left.
const accountUnused = `
	AND NOT EXISTS (SELECT 1 FROM statuses s WHERE s.account_id = a.id)
	AND NOT EXISTS (SELECT 1 FROM statuses s WHERE s.in_reply_to_account_id = a.id)
	AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.account_id = a.id)
	AND NOT EXISTS (SELECT 1 FROM favourites f WHERE f.account_id = a.id)
	AND NOT EXISTS (SELECT 1 FROM reactions r WHERE r.account_id = a.id)
	AND NOT EXISTS (SELECT 1 FROM poll_votes v WHERE v.account_id = a.id)`

// accountRefs lists (status, account) pairs of the accounts in the JSON
// array ?1 that a status refers to.
const accountRefs = `SELECT id, account_id FROM statuses WHERE account_id IN (SELECT value FROM json_each(?1))
	UNION ALL SELECT id, in_reply_to_account_id FROM statuses WHERE in_reply_to_account_id IN (SELECT value FROM json_each(?1))
	UNION ALL SELECT status_id, account_id FROM mentions WHERE account_id IN (SELECT value FROM json_each(?1))
	UNION ALL SELECT status_id, account_id FROM favourites WHERE account_id IN (SELECT value FROM json_each(?1))
	UNION ALL SELECT status_id, account_id FROM reactions WHERE account_id IN (SELECT value FROM json_each(?1))
	UNION ALL SELECT status_id, account_id FROM poll_votes WHERE account_id IN (SELECT value FROM json_each(?1))`

// Prune removes the remote statuses and accounts the owner never
// interacted with that are older than o.Before, the inbox's dedupe ids and
// the link previews older than o.Before, and remote tombstones older than
// TombstoneAge. It is
// safe while Roost serves. The freed pages are returned to the file system
// (incremental vacuum) in a file made by this Roost or vacuumed once by
// it; in an older file SQLite reuses them, and Vacuum converts it.
func (s *Store) Prune(ctx context.Context, o PruneOptions) (PruneResult, error) {
	var res PruneResult
	owner, err := s.GetOwner(ctx)
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	statuses, err := s.prunableStatuses(ctx, o.Before)
	if err != nil {
		return res, fmt.Errorf("prune: find statuses: %w", err)
	}
	accounts, err := s.prunableAccounts(ctx, o.Before, statuses)
	if err != nil {
		return res, fmt.Errorf("prune: find accounts: %w", err)
	}
	tomb := tombstoneWhere(owner.Account.URI)
	tombArgs := []any{millis(time.Now().Add(-TombstoneAge)), tomb.prefix}
	if o.DryRun {
		res.Statuses, res.Accounts = len(statuses), len(accounts)
		for chunk := range slices.Chunk(statuses, PruneBatch) {
			n, err := s.count(ctx, `SELECT count(*) FROM media_attachments WHERE status_id IN (SELECT value FROM json_each(?1))`, idList(chunk))
			if err != nil {
				return res, fmt.Errorf("prune: count media: %w", err)
			}
			res.Media += n
		}
		if res.SeenActivities, err = s.count(ctx, `SELECT count(*) FROM seen_activities WHERE seen_at < ?1`, millis(o.Before)); err != nil {
			return res, fmt.Errorf("prune: count seen activities: %w", err)
		}
		if res.Tombstones, err = s.count(ctx, `SELECT count(*) FROM tombstones WHERE `+tomb.where, tombArgs...); err != nil {
			return res, fmt.Errorf("prune: count tombstones: %w", err)
		}
		if res.LinkCards, err = s.count(ctx, `SELECT count(*) FROM link_cards WHERE fetched_at < ?1`, millis(o.Before)); err != nil {
			return res, fmt.Errorf("prune: count link previews: %w", err)
		}
		return res, nil
	}

	total, done := len(statuses)+len(accounts), 0
	for chunk := range slices.Chunk(statuses, PruneBatch) {
		n, m, err := s.pruneStatuses(ctx, o.Before, chunk)
		if err != nil {
			return res, fmt.Errorf("prune statuses: %w", err)
		}
		res.Statuses, res.Media, done = res.Statuses+n, res.Media+m, done+len(chunk)
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	for chunk := range slices.Chunk(accounts, PruneBatch) {
		n, err := s.deleteWhere(ctx, `DELETE FROM accounts AS a WHERE a.id IN (SELECT value FROM json_each(?2)) AND `+
			accountPrunable+accountUnused, millis(o.Before), idList(chunk))
		if err != nil {
			return res, fmt.Errorf("prune accounts: %w", err)
		}
		res.Accounts, done = res.Accounts+n, done+len(chunk)
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	if res.SeenActivities, err = s.deleteWhere(ctx, `DELETE FROM seen_activities WHERE seen_at < ?1`, millis(o.Before)); err != nil {
		return res, fmt.Errorf("prune seen activities: %w", err)
	}
	if res.Tombstones, err = s.deleteWhere(ctx, `DELETE FROM tombstones WHERE `+tomb.where, tombArgs...); err != nil {
		return res, fmt.Errorf("prune tombstones: %w", err)
	}
	if res.LinkCards, err = s.deleteWhere(ctx, `DELETE FROM link_cards WHERE fetched_at < ?1`, millis(o.Before)); err != nil {
		return res, fmt.Errorf("prune link previews: %w", err)
	}
	// With auto_vacuum=INCREMENTAL this moves the last pages into the
	// free ones and truncates the file; otherwise it does nothing.
	if _, err := s.w.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return res, fmt.Errorf("prune: return free pages: %w", err)
	}
	return res, nil
}

// prunableStatuses returns the ids of the statuses Prune removes: boosts
// first, so that an original's removal never takes a counted boost along
// (ON DELETE CASCADE), then the rest, each ascending.
func (s *Store) prunableStatuses(ctx context.Context, before time.Time) ([]int64, error) {
	cutoff, minID := millis(before), MinIDAt(before)
	// Remote ids are made from the created time (IDAt), so the id range
	// below minID is the old statuses, read through the primary key.
	var ids, reblogOf []int64
	err := s.scanPairs(ctx, func(id, orig int64) {
		ids, reblogOf = append(ids, id), append(reblogOf, orig)
	}, `SELECT s.id, s.reblog_of_id FROM statuses s WHERE s.id < ?2 AND `+statusPrunable+` ORDER BY s.id`, cutoff, minID)
	if err != nil {
		return nil, err
	}
	keep := map[int64]bool{}
	if err := s.scanPairs(ctx, func(id, _ int64) { keep[id] = true }, threadKept, minID); err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	goes := func(id int64) bool {
		_, found := slices.BinarySearch(ids, id)
		return found && !keep[id]
	}
	// A boost of a status that stays, stays: the owner sees who shared
	// what they care about.
	for i, id := range ids {
		if orig := reblogOf[i]; orig != 0 && !goes(orig) {
			keep[id] = true
		}
	}
	// An original with a boost that stays, stays (removing it would take
	// the boost along). Originals are never boosts themselves, so marking
	// them does not change the answer for the boosts still to come.
	err = s.scanPairs(ctx, func(boost, orig int64) {
		if !goes(boost) {
			keep[orig] = true
		}
	}, `SELECT id, reblog_of_id FROM statuses WHERE reblog_of_id IS NOT NULL AND reblog_of_id < ?1`, minID)
	if err != nil {
		return nil, fmt.Errorf("boosts: %w", err)
	}
	var boosts, others []int64
	for i, id := range ids {
		switch {
		case keep[id]:
		case reblogOf[i] != 0:
			boosts = append(boosts, id)
		default:
			others = append(others, id)
		}
	}
	return append(boosts, others...), nil
}

// prunableAccounts returns the ids, ascending, of the accounts Prune
// removes once the statuses (ascending within boosts and others) are gone.
func (s *Store) prunableAccounts(ctx context.Context, before time.Time, statuses []int64) ([]int64, error) {
	var ids []int64
	err := s.scanPairs(ctx, func(id, _ int64) { ids = append(ids, id) },
		`SELECT a.id, 0 FROM accounts a WHERE `+accountPrunable+` ORDER BY a.id`, millis(before))
	if err != nil {
		return nil, err
	}
	gone := slices.Clone(statuses)
	slices.Sort(gone)
	used := map[int64]bool{}
	for chunk := range slices.Chunk(ids, PruneBatch) {
		err := s.scanPairs(ctx, func(status, account int64) {
			if _, found := slices.BinarySearch(gone, status); !found {
				used[account] = true
			}
		}, accountRefs, idList(chunk))
		if err != nil {
			return nil, fmt.Errorf("references: %w", err)
		}
	}
	return slices.DeleteFunc(ids, func(id int64) bool { return used[id] }), nil
}

// pruneStatuses removes those of ids that are still prunable, in one
// transaction, and counts them and their media.
func (s *Store) pruneStatuses(ctx context.Context, before time.Time, ids []int64) (n, media int, err error) {
	const batch = ` s.id IN (SELECT value FROM json_each(?2)) AND ` + statusPrunable
	list := idList(ids)
	err = s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM media_attachments
			WHERE status_id IN (SELECT s.id FROM statuses s WHERE`+batch+`)`, millis(before), list).Scan(&media)
		if err != nil {
			return err
		}
		// Boosts first: an original's removal would take its boosts
		// along uncounted.
		for _, which := range []string{" AND s.reblog_of_id IS NOT NULL", ""} {
			r, err := tx.ExecContext(ctx, `DELETE FROM statuses AS s WHERE`+batch+which, millis(before), list)
			if err != nil {
				return err
			}
			d, err := r.RowsAffected()
			if err != nil {
				return err
			}
			n += int(d)
		}
		return nil
	})
	return n, media, err
}

// deleteWhere runs one DELETE in its own transaction and counts the rows.
func (s *Store) deleteWhere(ctx context.Context, q string, args ...any) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return int(n), err
}

func (s *Store) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// scanPairs calls fn with the two integer columns of each row of q (NULL
// as 0).
func (s *Store) scanPairs(ctx context.Context, fn func(a, b int64), q string, args ...any) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b sql.NullInt64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a.Int64, b.Int64)
	}
	return rows.Err()
}

// idList is ids as a JSON array, for json_each.
func idList(ids []int64) string {
	b, _ := json.Marshal(ids) // []int64 always encodes
	return string(b)
}

// tombstoneFilter selects old remote tombstones: the owner's own are kept,
// since they answer 410 Gone for deleted posts as long as Roost runs.
type tombstoneFilter struct {
	where  string // ?1: the age cutoff, ?2: the owner's origin
	prefix string
}

func tombstoneWhere(ownerURI string) tombstoneFilter {
	f := tombstoneFilter{where: `deleted_at < ?1 AND substr(uri, 1, length(?2)) != ?2`}
	if u, err := url.Parse(ownerURI); err == nil && u.Host != "" {
		f.prefix = u.Scheme + "://" + u.Host + "/"
	} else {
		f.prefix = ownerURI // keep at least the owner's own id
	}
	return f
}

// Vacuum rebuilds the database file without the pages Prune freed,
// returning them to the file system, and truncates the WAL. It holds the
// write lock for its whole run (seconds to minutes on a Pi), so a serving
// Roost's writes wait for it.
func (s *Store) Vacuum(ctx context.Context) error {
	// Rebuilding is also when a file made before auto_vacuum can take it.
	if _, err := s.w.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return s.Checkpoint(ctx)
}
