package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestEnqueueDeliveriesOneJobPerInbox(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	body := []byte(`{"id":"https://home.test/a/1"}`)

	n, err := st.EnqueueDeliveries(ctx, "https://home.test/a/1", body, []string{
		"https://one.test/inbox",
		"https://Two.Test:8443/users/x/inbox",
		"https://one.test/inbox", // repeated in the list
		"",                       // an account without an inbox
		"mailto:me@one.test",     // not http(s)
		"/inbox",                 // not absolute
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("first enqueue added %d jobs, want 2", n)
	}
	// The same activity to the same inbox again is the same job.
	if n, err = st.EnqueueDeliveries(ctx, "https://home.test/a/1", body, []string{"https://one.test/inbox", "https://three.test/inbox"}); err != nil || n != 1 {
		t.Errorf("second enqueue = %d, %v; want 1 new job", n, err)
	}
	// Another activity to a known inbox is a job of its own.
	if n, err = st.EnqueueDeliveries(ctx, "https://home.test/a/2", body, []string{"https://one.test/inbox"}); err != nil || n != 1 {
		t.Errorf("other activity enqueue = %d, %v; want 1", n, err)
	}
	if c, err := st.CountDeliveries(ctx); err != nil || c != 4 {
		t.Fatalf("CountDeliveries = %d, %v; want 4", c, err)
	}

	due, err := st.DueDeliveries(ctx, time.Unix(1, 0), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ activity, inbox, host string }{
		{"https://home.test/a/1", "https://one.test/inbox", "one.test"},
		{"https://home.test/a/1", "https://Two.Test:8443/users/x/inbox", "two.test"},
		{"https://home.test/a/1", "https://three.test/inbox", "three.test"},
		{"https://home.test/a/2", "https://one.test/inbox", "one.test"},
	}
	if len(due) != len(want) {
		t.Fatalf("got %d due jobs, want %d", len(due), len(want))
	}
	for i, d := range due {
		w := want[i]
		if d.ActivityID != w.activity || d.Inbox != w.inbox || d.Host != w.host {
			t.Errorf("job %d = %s → %s (host %s), want %s → %s (host %s)", i, d.ActivityID, d.Inbox, d.Host, w.activity, w.inbox, w.host)
		}
		if !bytes.Equal(d.Body, body) || d.Attempts != 0 || !d.NextAt.IsZero() || d.CreatedAt.IsZero() || d.LastError != "" {
			t.Errorf("job %d = %+v, want the body untouched, no attempts, zero NextAt, a CreatedAt", i, d)
		}
	}
}

func TestEnqueueDeliveriesRollsBackWithTheTransaction(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	boom := errors.New("status insert failed")
	err := st.Update(ctx, func(tx *Tx) error {
		if n, err := tx.EnqueueDeliveries("https://home.test/a/1", []byte("{}"), []string{"https://one.test/inbox"}); err != nil || n != 1 {
			t.Errorf("EnqueueDeliveries in tx = %d, %v", n, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	if c, err := st.CountDeliveries(ctx); err != nil || c != 0 {
		t.Errorf("CountDeliveries after rollback = %d, %v; want 0", c, err)
	}
}

func TestDueDeliveriesFollowsSchedule(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	if _, ok, err := st.NextDeliveryAt(ctx); err != nil || ok {
		t.Fatalf("NextDeliveryAt on an empty queue = %v, %v; want not ok", ok, err)
	}
	inboxes := []string{"https://a.test/inbox", "https://b.test/inbox", "https://c.test/inbox"}
	if _, err := st.EnqueueDeliveries(ctx, "https://home.test/a/1", []byte("{}"), inboxes); err != nil {
		t.Fatal(err)
	}
	// A job never tried is due at once, whatever the clock says.
	if next, ok, err := st.NextDeliveryAt(ctx); err != nil || !ok || !next.IsZero() {
		t.Fatalf("NextDeliveryAt = %v, %v, %v; want zero, true", next, ok, err)
	}
	due, err := st.DueDeliveries(ctx, now, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("DueDeliveries = %d jobs, %v; want 3", len(due), err)
	}

	// Reschedule the first two; the third is delivered.
	if err := st.RescheduleDelivery(ctx, due[0].ID, 1, now.Add(time.Hour), "status 500"); err != nil {
		t.Fatal(err)
	}
	if err := st.RescheduleDelivery(ctx, due[1].ID, 3, now.Add(time.Minute), "timeout"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteDelivery(ctx, due[2].ID); err != nil {
		t.Fatal(err)
	}
	if next, ok, err := st.NextDeliveryAt(ctx); err != nil || !ok || !next.Equal(now.Add(time.Minute)) {
		t.Errorf("NextDeliveryAt = %v, %v, %v; want %v", next, ok, err, now.Add(time.Minute))
	}
	for _, tc := range []struct {
		at   time.Time
		want []int64
	}{
		{now, nil},
		{now.Add(time.Minute - time.Millisecond), nil},
		{now.Add(time.Minute), []int64{due[1].ID}},
		{now.Add(time.Hour), []int64{due[0].ID, due[1].ID}},
	} {
		got, err := st.DueDeliveries(ctx, tc.at, 10)
		if err != nil {
			t.Fatal(err)
		}
		if ids := deliveryIDs(got); !slices.Equal(ids, tc.want) {
			t.Errorf("due at %v: %v, want %v", tc.at, ids, tc.want)
		}
	}
	got, err := st.DueDeliveries(ctx, now.Add(time.Hour), 1)
	if err != nil || len(got) != 1 || got[0].ID != due[0].ID {
		t.Errorf("DueDeliveries with limit 1 = %v, %v; want the oldest job only", deliveryIDs(got), err)
	}
	got, err = st.DueDeliveriesAfter(ctx, now.Add(time.Hour), due[0].ID, 10)
	if err != nil || !slices.Equal(deliveryIDs(got), []int64{due[1].ID}) {
		t.Errorf("DueDeliveriesAfter = %v, %v; want [%d]", deliveryIDs(got), err, due[1].ID)
	}
	if d := got[0]; d.Attempts != 3 || d.LastError != "timeout" || !d.NextAt.Equal(now.Add(time.Minute)) {
		t.Errorf("rescheduled job = attempts %d, error %q, next %v", d.Attempts, d.LastError, d.NextAt)
	}

	if err := st.RescheduleDelivery(ctx, due[2].ID, 1, now, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RescheduleDelivery of a deleted job = %v, want ErrNotFound", err)
	}
	if err := st.DeleteDelivery(ctx, due[2].ID); err != nil {
		t.Errorf("DeleteDelivery of a deleted job = %v, want nil", err)
	}
}

func TestDeliveriesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roost.db")
	st, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("{\"id\":\"https://home.test/a/1\",\"content\":\"caf\u00e9 \\u0000\"}\n")
	if _, err := st.EnqueueDeliveries(ctx, "https://home.test/a/1", body, []string{"https://a.test/inbox", "https://b.test/inbox"}); err != nil {
		t.Fatal(err)
	}
	due, err := st.DueDeliveries(ctx, time.Now(), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("DueDeliveries = %d, %v", len(due), err)
	}
	next := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := st.RescheduleDelivery(ctx, due[0].ID, 2, next, "status 503"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = reopenDeliveryStore(t, path)
	got, err := st.DueDeliveries(ctx, next, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("after reopening, DueDeliveries = %d, %v; want 2", len(got), err)
	}
	if d := got[0]; d.Attempts != 2 || d.LastError != "status 503" || !d.NextAt.Equal(next) || !bytes.Equal(d.Body, body) || d.Inbox != "https://a.test/inbox" {
		t.Errorf("retried job after reopening = %+v", d)
	}
	if d := got[1]; d.Attempts != 0 || !d.NextAt.IsZero() || !bytes.Equal(d.Body, body) {
		t.Errorf("fresh job after reopening = %+v", d)
	}
}

func reopenDeliveryStore(t *testing.T, path string) *Store {
	t.Helper()
	st, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func deliveryIDs(ds []*Delivery) []int64 {
	var ids []int64
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

// TestDueDeliveriesByHost: the worker's reading can leave hosts out, read
// one host's jobs apart, and know the newest job's id.
func TestDueDeliveriesByHost(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	now := time.Now()
	if id, err := st.LastDeliveryID(ctx); err != nil || id != 0 {
		t.Fatalf("LastDeliveryID on an empty queue = %d, %v", id, err)
	}
	for i := range 3 {
		inboxes := []string{"https://a.test/users/u" + strconv.Itoa(i) + "/inbox", "https://b.test/users/u" + strconv.Itoa(i) + "/inbox"}
		if _, err := st.EnqueueDeliveries(ctx, "https://home.test/a/"+strconv.Itoa(i), []byte("{}"), inboxes); err != nil {
			t.Fatal(err)
		}
	}
	all, err := st.DueDeliveries(ctx, now, 10)
	if err != nil || len(all) != 6 {
		t.Fatalf("DueDeliveries = %d, %v", len(all), err)
	}
	hosts := func(ds []*Delivery) (out []string) {
		for _, d := range ds {
			out = append(out, d.Host)
		}
		return out
	}
	got, err := st.DueDeliveriesAfter(ctx, now, 0, 10, "a.test")
	if err != nil || !slices.Equal(hosts(got), []string{"b.test", "b.test", "b.test"}) {
		t.Errorf("leaving a.test out: %v, %v", hosts(got), err)
	}
	aJobs, err := st.DueDeliveriesOfHost(ctx, now, "a.test", 0, 10)
	if err != nil || !slices.Equal(hosts(aJobs), []string{"a.test", "a.test", "a.test"}) {
		t.Fatalf("a.test's jobs: %v, %v", hosts(aJobs), err)
	}
	if got, err := st.DueDeliveriesOfHost(ctx, now, "a.test", aJobs[0].ID, 1); err != nil || len(got) != 1 || got[0].ID != aJobs[1].ID {
		t.Errorf("a.test's next job after the first: %v, %v", deliveryIDs(got), err)
	}
	if id, err := st.LastDeliveryID(ctx); err != nil || id != all[5].ID {
		t.Errorf("LastDeliveryID = %d, %v; want %d", id, err, all[5].ID)
	}
}
