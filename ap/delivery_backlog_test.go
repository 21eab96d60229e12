package ap

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestRunDeliveriesLongBacklogToOneHost: three times a host's backlog of
// jobs for one host, queued together with jobs for another, all arrive
// exactly once while the worker runs, and the other host's jobs are not
// held up behind them. (The worker leaves a host with its backlog in hand
// out of its reading and comes back to where its unread jobs begin.)
func TestRunDeliveriesLongBacklogToOneHost(t *testing.T) {
	e := newDeliveryEnv(t)
	busy := newDeliverySink(e, nil)
	e.hosts.serve(t, busy, "busy.test")
	other := newDeliverySink(e, nil)
	e.hosts.serve(t, other, "other.test")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- e.f.runDeliveries(ctx) }()
	defer func() {
		cancel()
		<-stopped
	}()

	const n = 3 * deliveryHostBacklog
	for i := range n {
		e.deliver(t, fmt.Sprintf("https://home.test/a/%d", i),
			fmt.Sprintf("http://busy.test/users/u%d/inbox", i), fmt.Sprintf("http://other.test/users/u%d/inbox", i))
	}
	deadline := time.Now().Add(deliveryTestWait)
	for len(busy.receipts()) < n || len(other.receipts()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("busy.test got %d of %d, other.test %d of %d", len(busy.receipts()), n, len(other.receipts()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a duplicate to show
	for _, s := range []*deliverySink{busy, other} {
		seen := map[string]bool{}
		for _, r := range s.receipts() {
			if seen[r.path] {
				t.Errorf("%s delivered twice", r.path)
			}
			seen[r.path] = true
		}
		if len(seen) != n {
			t.Errorf("%d distinct inboxes reached, want %d", len(seen), n)
		}
	}
	if left, err := e.st.CountDeliveries(context.Background()); err != nil || left != 0 {
		t.Errorf("%d jobs left in the queue (%v)", left, err)
	}
}
