package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// newPushToken stores an app and a token for push subscriptions to hang
// on, returning the token's id.
func newPushToken(t *testing.T, st *Store, token string) int64 {
	t.Helper()
	ctx := context.Background()
	a := &OAuthApp{ClientID: "cid-" + token, ClientSecretHash: HashSecret("s"), Name: "App", Scopes: []string{"push"}}
	if err := st.InsertOAuthApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	tok := &OAuthToken{AppID: a.ID, Scopes: a.Scopes, Owner: true}
	if err := st.InsertOAuthToken(ctx, token, tok); err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

func TestPushSubscriptionRoundTrip(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	tid := newPushToken(t, st, "t1")
	if _, err := st.GetPushSubscription(ctx, tid); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no subscription yet: %v", err)
	}
	if err := st.UpdatePushSubscription(ctx, tid, nil, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update without subscription: %v", err)
	}
	p := &PushSubscription{TokenID: tid, Endpoint: "https://push.example/1", P256dh: "pk", Auth: "au",
		Standard: true, Alerts: map[string]bool{"mention": true, "follow": false}}
	if err := st.PutPushSubscription(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetPushSubscription(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	if got.Endpoint != p.Endpoint || !got.Standard || got.Policy != "all" || !got.Alerts["mention"] || got.Alerts["follow"] || len(got.Alerts) != 2 {
		t.Errorf("got %+v", got)
	}
	if err := st.UpdatePushSubscription(ctx, tid, map[string]bool{"favourite": true}, "followed"); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetPushSubscription(ctx, tid)
	if got.Policy != "followed" || got.Alerts["mention"] || !got.Alerts["favourite"] {
		t.Errorf("after update: %+v", got)
	}

	// Pushes are queued once per subscription, only for subscribed
	// tokens, and replacing the subscription drops them.
	other := newPushToken(t, st, "t2")
	if n, err := st.EnqueuePush(ctx, 42, []int64{tid, tid, other}); err != nil || n != 1 {
		t.Fatalf("enqueue = %d, %v; want 1", n, err)
	}
	if n, _ := st.EnqueuePush(ctx, 42, []int64{tid}); n != 0 {
		t.Errorf("enqueued twice")
	}
	if err := st.PutPushSubscription(ctx, p); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountPushes(ctx); n != 0 {
		t.Errorf("%d pushes left after replacing the subscription", n)
	}
	list, err := st.ListPushSubscriptions(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v", list, err)
	}

	// Revoking the token removes its subscription.
	if err := st.DeleteOAuthToken(ctx, tid); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetPushSubscription(ctx, tid); !errors.Is(err, ErrNotFound) {
		t.Errorf("subscription outlived its token: %v", err)
	}
}

func TestPushQueue(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	tid := newPushToken(t, st, "t1")
	if err := st.PutPushSubscription(ctx, &PushSubscription{TokenID: tid, Endpoint: "https://push.example/1", P256dh: "pk", Auth: "au"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.NextPushAt(ctx); ok || err != nil {
		t.Fatalf("empty queue: %v %v", ok, err)
	}
	for _, n := range []int64{1, 2} {
		if _, err := st.EnqueuePush(ctx, n, []int64{tid}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	due, err := st.DuePushes(ctx, now, 0, 10)
	if err != nil || len(due) != 2 || due[0].NotificationID != 1 || !due[0].NextAt.IsZero() {
		t.Fatalf("due = %+v, %v", due, err)
	}
	if next, ok, _ := st.NextPushAt(ctx); !ok || !next.IsZero() {
		t.Errorf("next = %v %v, want due at once", next, ok)
	}
	later := now.Add(time.Minute)
	if err := st.ReschedulePush(ctx, due[0].ID, 1, later); err != nil {
		t.Fatal(err)
	}
	if err := st.DeletePush(ctx, due[1].ID); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.DuePushes(ctx, now, 0, 10); len(due) != 0 {
		t.Errorf("rescheduled push still due: %+v", due)
	}
	if next, ok, _ := st.NextPushAt(ctx); !ok || next.UnixMilli() != later.UnixMilli() {
		t.Errorf("next = %v, want %v", next, later)
	}
	if due, _ := st.DuePushes(ctx, later, 0, 10); len(due) != 1 || due[0].Attempts != 1 {
		t.Errorf("due later = %+v", due)
	}
	if err := st.DeletePushSubscription(ctx, tid); err != nil {
		t.Fatal(err)
	}
	if err := st.ReschedulePush(ctx, due[0].ID, 2, later); !errors.Is(err, ErrNotFound) {
		t.Errorf("reschedule of a removed push: %v", err)
	}
}
