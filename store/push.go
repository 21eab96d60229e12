package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// PushSubscription is one app's Web Push subscription. Mastodon keeps one
// per access token: an app subscribing again replaces it.
type PushSubscription struct {
	TokenID  int64
	Endpoint string
	// P256dh and Auth are the app's keys as it sent them, base64url: its
	// P-256 public key (uncompressed point) and its 16-byte auth secret.
	P256dh, Auth string
	// Standard is true for RFC 8291 aes128gcm, false for the legacy
	// aesgcm encoding.
	Standard bool
	// Alerts says which notification types are pushed ("mention": true…).
	Alerts map[string]bool
	// Policy is whose notifications are pushed: all, followed, follower
	// or none.
	Policy    string
	CreatedAt time.Time
}

const pushSubscriptionColumns = `token_id, endpoint, p256dh, auth, standard, alerts, policy, created_at`

func scanPushSubscription(sc scanner) (*PushSubscription, error) {
	var p PushSubscription
	var alerts string
	var created int64
	if err := sc.Scan(&p.TokenID, &p.Endpoint, &p.P256dh, &p.Auth, &p.Standard, &alerts, &p.Policy, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(alerts), &p.Alerts); err != nil {
		return nil, fmt.Errorf("alerts of push subscription %d: %w", p.TokenID, err)
	}
	if p.Alerts == nil {
		p.Alerts = map[string]bool{}
	}
	p.CreatedAt = fromMillis(created)
	return &p, nil
}

func alertsJSON(alerts map[string]bool) (string, error) {
	if alerts == nil {
		alerts = map[string]bool{}
	}
	b, err := json.Marshal(alerts)
	return string(b), err
}

// PutPushSubscription stores p as its token's subscription, replacing any
// earlier one together with the pushes still queued for it (they were
// meant for other keys). It sets p.CreatedAt.
func (s *Store) PutPushSubscription(ctx context.Context, p *PushSubscription) error {
	alerts, err := alertsJSON(p.Alerts)
	if err != nil {
		return fmt.Errorf("put push subscription: %w", err)
	}
	p.Policy = cmp.Or(p.Policy, "all")
	p.CreatedAt = time.Now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE token_id = ?`, p.TokenID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (`+pushSubscriptionColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.TokenID, p.Endpoint, p.P256dh, p.Auth, p.Standard, alerts, p.Policy, millis(p.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("put push subscription of token %d: %w", p.TokenID, err)
	}
	return nil
}

// GetPushSubscription returns the subscription of a token, or ErrNotFound.
func (s *Store) GetPushSubscription(ctx context.Context, tokenID int64) (*PushSubscription, error) {
	p, err := scanPushSubscription(s.queryRow(ctx, `SELECT `+pushSubscriptionColumns+`
		FROM push_subscriptions WHERE token_id = ?`, tokenID))
	if err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

// ListPushSubscriptions returns every subscription.
func (s *Store) ListPushSubscriptions(ctx context.Context) ([]*PushSubscription, error) {
	rows, err := s.query(ctx, `SELECT `+pushSubscriptionColumns+` FROM push_subscriptions ORDER BY token_id`)
	if err != nil {
		return nil, fmt.Errorf("list push subscriptions: %w", err)
	}
	defer rows.Close()
	var out []*PushSubscription
	for rows.Next() {
		p, err := scanPushSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("list push subscriptions: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list push subscriptions: %w", err)
	}
	return out, nil
}

// UpdatePushSubscription changes what a token's subscription pushes; it
// fails with ErrNotFound when the token has none.
func (s *Store) UpdatePushSubscription(ctx context.Context, tokenID int64, alerts map[string]bool, policy string) error {
	a, err := alertsJSON(alerts)
	if err != nil {
		return fmt.Errorf("update push subscription: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE push_subscriptions SET alerts = ?, policy = ? WHERE token_id = ?`,
			a, cmp.Or(policy, "all"), tokenID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update push subscription of token %d: %w", tokenID, err)
	}
	return nil
}

// DeletePushSubscription removes a token's subscription and its queued
// pushes; one already gone is not an error.
func (s *Store) DeletePushSubscription(ctx context.Context, tokenID int64) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE token_id = ?`, tokenID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete push subscription of token %d: %w", tokenID, err)
	}
	return nil
}

// Push is one notification waiting to be pushed to one subscription.
type Push struct {
	ID             int64
	TokenID        int64
	NotificationID int64
	// Attempts is how many times sending has failed so far.
	Attempts int
	// NextAt is when it is due; zero for a push never tried, which is due
	// at once.
	NextAt time.Time
}

// EnqueuePush queues notificationID for each of the subscriptions of
// tokenIDs, once per subscription however often it is asked; it returns
// how many pushes were added. A token whose subscription is gone is
// skipped.
func (s *Store) EnqueuePush(ctx context.Context, notificationID int64, tokenIDs []int64) (int, error) {
	added := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, t := range tokenIDs {
			// next_at 0: due at once, whatever the worker's clock says.
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO push_queue (token_id, notification_id, attempts, next_at)
				SELECT token_id, ?, 0, 0 FROM push_subscriptions WHERE token_id = ?`, notificationID, t)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue push of notification %d: %w", notificationID, err)
	}
	return added, nil
}

// DuePushes returns up to limit pushes due at now with ids above afterID,
// oldest first.
func (s *Store) DuePushes(ctx context.Context, now time.Time, afterID int64, limit int) ([]*Push, error) {
	rows, err := s.query(ctx, `SELECT id, token_id, notification_id, attempts, next_at FROM push_queue
		WHERE next_at <= ? AND id > ? ORDER BY id LIMIT ?`, millis(now), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list due pushes: %w", err)
	}
	defer rows.Close()
	var out []*Push
	for rows.Next() {
		var p Push
		var next int64
		if err := rows.Scan(&p.ID, &p.TokenID, &p.NotificationID, &p.Attempts, &next); err != nil {
			return nil, fmt.Errorf("list due pushes: %w", err)
		}
		if next != 0 {
			p.NextAt = fromMillis(next)
		}
		out = append(out, &p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list due pushes: %w", err)
	}
	return out, nil
}

// NextPushAt is when the earliest queued push is due (zero for one never
// tried); ok is false when the queue is empty.
func (s *Store) NextPushAt(ctx context.Context) (next time.Time, ok bool, err error) {
	return s.nextDue(ctx, "push_queue")
}

// DeletePush removes a push that was sent or given up on; one already
// gone is not an error.
func (s *Store) DeletePush(ctx context.Context, id int64) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM push_queue WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete push %d: %w", id, err)
	}
	return nil
}

// ReschedulePush records a failed attempt: the push has now failed
// attempts times and is due again at next. It fails with ErrNotFound if
// the push is gone (say, its subscription was removed meanwhile).
func (s *Store) ReschedulePush(ctx context.Context, id int64, attempts int, next time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE push_queue SET attempts = ?, next_at = ? WHERE id = ?`,
			attempts, millis(next), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reschedule push %d: %w", id, err)
	}
	return nil
}

// CountPushes counts queued pushes.
func (s *Store) CountPushes(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT count(*) FROM push_queue`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pushes: %w", err)
	}
	return n, nil
}
