package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Delivery is one outgoing activity waiting to be POSTed to one inbox.
type Delivery struct {
	ID         int64
	ActivityID string
	Inbox      string
	// Host is the inbox's lower-cased host name (no port): the unit of the
	// delivery worker's per-host concurrency limit.
	Host string
	// Body is the activity exactly as it is sent.
	Body     []byte
	Attempts int
	// NextAt is when the next attempt is due; zero for a job never tried,
	// which is due at once.
	NextAt    time.Time
	CreatedAt time.Time
	LastError string
}

// EnqueueDeliveries queues body, the activity activityID, for each distinct
// inbox, as part of tx (so that a status and its deliveries are stored
// together). An activity is queued once per inbox however often it is
// asked for; inboxes that are not absolute http(s) URLs are skipped. It
// returns how many jobs were added.
func (tx *Tx) EnqueueDeliveries(activityID string, body []byte, inboxes []string) (int, error) {
	added := 0
	created := millis(time.Now())
	for _, inbox := range inboxes {
		host, ok := inboxHost(inbox)
		if !ok {
			continue
		}
		// next_at 0: a new job is due at once whatever the worker's clock
		// says, so it never waits on the store's clock agreeing with it.
		res, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO deliveries
			(activity_id, inbox, host, body, attempts, next_at, created_at) VALUES (?, ?, ?, ?, 0, 0, ?)`,
			activityID, inbox, host, body, created)
		if err != nil {
			return added, fmt.Errorf("queue delivery of %s to %s: %w", activityID, inbox, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return added, fmt.Errorf("queue delivery of %s to %s: %w", activityID, inbox, err)
		}
		added += int(n)
	}
	return added, nil
}

// EnqueueDeliveries is Tx.EnqueueDeliveries in a transaction of its own.
func (s *Store) EnqueueDeliveries(ctx context.Context, activityID string, body []byte, inboxes []string) (int, error) {
	var added int
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		added, err = tx.EnqueueDeliveries(activityID, body, inboxes)
		return err
	})
	return added, err
}

// inboxHost returns the lower-cased host name of an absolute http(s) URL.
func inboxHost(inbox string) (string, bool) {
	u, err := url.Parse(inbox)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return "", false
	}
	return strings.ToLower(u.Hostname()), true
}

const deliveryColumns = `id, activity_id, inbox, host, body, attempts, next_at, created_at, last_error`

func scanDelivery(sc scanner) (*Delivery, error) {
	var d Delivery
	var next, created int64
	err := sc.Scan(&d.ID, &d.ActivityID, &d.Inbox, &d.Host, &d.Body, &d.Attempts, &next, &created, &d.LastError)
	if err != nil {
		return nil, err
	}
	if next != 0 {
		d.NextAt = fromMillis(next)
	}
	d.CreatedAt = fromMillis(created)
	return &d, nil
}

// DueDeliveries returns up to limit jobs due at now, oldest first.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*Delivery, error) {
	return s.DueDeliveriesAfter(ctx, now, 0, limit)
}

// DueDeliveriesAfter is DueDeliveries for jobs with ids above afterID,
// leaving out the jobs for the hosts in exclude: the worker pages through
// a long queue with it while earlier jobs are still being sent, and skips
// hosts that have all the jobs in hand they may.
func (s *Store) DueDeliveriesAfter(ctx context.Context, now time.Time, afterID int64, limit int, exclude ...string) ([]*Delivery, error) {
	hosts, _ := json.Marshal(exclude) // []string always encodes
	if exclude == nil {
		hosts = []byte("[]")
	}
	rows, err := s.query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE next_at <= ? AND id > ? AND host NOT IN (SELECT value FROM json_each(?))
		ORDER BY id LIMIT ?`, millis(now), afterID, string(hosts), limit)
	if err != nil {
		return nil, fmt.Errorf("list due deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

func scanDeliveries(rows *sql.Rows) ([]*Delivery, error) {
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list due deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list due deliveries: %w", err)
	}
	return out, nil
}

// LastDeliveryID is the id of the newest job, 0 for an empty queue; jobs
// queued later have larger ids.
func (s *Store) LastDeliveryID(ctx context.Context) (int64, error) {
	var id int64
	err := s.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM deliveries`).Scan(&id)
	return id, err
}

// DueDeliveriesOfHost returns up to limit jobs for host due at now, with
// ids above afterID, oldest first.
func (s *Store) DueDeliveriesOfHost(ctx context.Context, now time.Time, host string, afterID int64, limit int) ([]*Delivery, error) {
	rows, err := s.query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE next_at <= ? AND id > ? AND host = ? ORDER BY id LIMIT ?`, millis(now), afterID, host, limit)
	if err != nil {
		return nil, fmt.Errorf("list due deliveries of %s: %w", host, err)
	}
	return scanDeliveries(rows)
}

// NextDeliveryAt is when the earliest job is due (zero for a job never
// tried); ok is false when the queue is empty.
func (s *Store) NextDeliveryAt(ctx context.Context) (next time.Time, ok bool, err error) {
	return s.nextDue(ctx, "deliveries")
}

// DeleteDelivery removes a job that was delivered or given up on; a job
// already gone is not an error.
func (s *Store) DeleteDelivery(ctx context.Context, id int64) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete delivery %d: %w", id, err)
	}
	return nil
}

// RescheduleDelivery records a failed attempt: the job has now been tried
// attempts times and is due again at next. It fails with ErrNotFound if the
// job is gone.
func (s *Store) RescheduleDelivery(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`,
			attempts, millis(next), lastErr, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reschedule delivery %d: %w", id, err)
	}
	return nil
}

// CountDeliveries counts queued jobs.
func (s *Store) CountDeliveries(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count deliveries: %w", err)
	}
	return n, nil
}

// NextDeliveryAfter is when the earliest job due later than t is due; ok is
// false when there is none. The worker uses it to sleep while the jobs due
// already are being sent.
func (s *Store) NextDeliveryAfter(ctx context.Context, t time.Time) (next time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := s.queryRow(ctx, `SELECT min(next_at) FROM deliveries WHERE next_at > ?`, millis(t)).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("next delivery after %v: %w", t, err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return fromMillis(ms.Int64), true, nil
}
