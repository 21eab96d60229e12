package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Direct-message conversations and muted conversations. A conversation is
// named by the conversation URI its statuses share; a status without one
// is a conversation of its own, keyed "status:<id>" (ConversationKey).

// ConversationKey is the key of st's conversation in conversation_reads and
// conversation_mutes.
func ConversationKey(st *Status) string {
	if st.Conversation != "" {
		return st.Conversation
	}
	return "status:" + FormatID(st.ID)
}

// Conversation is one direct-message thread of the owner's.
type Conversation struct {
	Key          string // see ConversationKey
	LastStatusID int64
	LastReadID   int64 // the last status the owner marked read
	Hidden       bool  // deleted by the owner, until a newer status comes
}

// directKey is the conversation key of a status row s, as ConversationKey.
const directKey = `CASE WHEN s.conversation = '' THEN 'status:' || s.id ELSE s.conversation END`

// ListConversations lists the owner's direct-message conversations (direct
// statuses ownerID wrote or is mentioned in), newest last status first,
// paged by the id of that status. A conversation the owner deleted is left
// out until it has a newer status.
func (s *Store) ListConversations(ctx context.Context, ownerID int64, p Page) ([]*Conversation, error) {
	q := `SELECT key, last_id, last_read, hidden FROM (
		SELECT ` + directKey + ` AS key, max(s.id) AS last_id
		FROM statuses s WHERE s.visibility = 'direct' AND s.reblog_of_id IS NULL
			AND (s.account_id = ? OR s.id IN (SELECT status_id FROM mentions WHERE account_id = ?))
		GROUP BY 1) c
		LEFT JOIN (SELECT conversation, last_read_id AS last_read, hidden FROM conversation_reads) r ON r.conversation = c.key
		WHERE NOT (coalesce(r.hidden, 0) = 1 AND c.last_id <= r.last_read)`
	where, args, tail, asc := p.clause("c.last_id")
	rows, err := s.query(ctx, q+where+tail, append([]any{ownerID, ownerID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	var out []*Conversation
	for rows.Next() {
		var c Conversation
		var read, hidden sql.NullInt64
		if err := rows.Scan(&c.Key, &c.LastStatusID, &read, &hidden); err != nil {
			return nil, err
		}
		c.LastReadID, c.Hidden = read.Int64, hidden.Int64 == 1
		out = append(out, &c)
	}
	if asc {
		reverse(out)
	}
	return out, rows.Err()
}

// GetConversationRead returns how far the owner read conversation key (0
// when never).
func (s *Store) GetConversationRead(ctx context.Context, key string) (lastReadID int64, hidden bool, err error) {
	err = s.queryRow(ctx, `SELECT last_read_id, hidden FROM conversation_reads WHERE conversation = ?`, key).
		Scan(&lastReadID, &hidden)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return lastReadID, hidden, err
}

// MarkConversationRead marks conversation key read up to status lastID
// and shows it again if it was deleted.
func (s *Store) MarkConversationRead(ctx context.Context, key string, lastID int64) error {
	return s.setConversationRead(ctx, key, lastID, false)
}

// HideConversation removes conversation key from the owner's list until a
// status newer than lastID comes.
func (s *Store) HideConversation(ctx context.Context, key string, lastID int64) error {
	return s.setConversationRead(ctx, key, lastID, true)
}

func (s *Store) setConversationRead(ctx context.Context, key string, lastID int64, hidden bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO conversation_reads (conversation, last_read_id, hidden) VALUES (?, ?, ?)
			ON CONFLICT (conversation) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id),
			hidden = excluded.hidden`, key, lastID, hidden)
		if err != nil {
			return fmt.Errorf("conversation %s read: %w", key, err)
		}
		return nil
	})
}

// SetConversationMuted mutes (or unmutes) conversation key: the owner is
// not notified of mentions in it.
func (s *Store) SetConversationMuted(ctx context.Context, key string, on bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if on {
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO conversation_mutes (conversation, created_at) VALUES (?, ?)`,
				key, millis(time.Now()))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM conversation_mutes WHERE conversation = ?`, key)
		}
		return err
	})
}

// ConversationMuted reports whether the owner muted conversation key.
func (s *Store) ConversationMuted(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM conversation_mutes WHERE conversation = ?`, key).Scan(&n)
	return n > 0, err
}
