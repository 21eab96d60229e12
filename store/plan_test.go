package store

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fullScan matches a plan step reading the whole of a table that grows
// with federation traffic: such a read gets slower every day a server
// runs. (The inbox queue is walked in arrival order up to a LIMIT on
// purpose, and is short.)
var fullScan = regexp.MustCompile(`^SCAN (accounts|statuses|notifications|follows|seen_activities|mentions|status_tags|favourites|media)$`)

// TestInboxPathQueriesUseIndexes runs the reads every incoming activity
// makes and checks that none of their plans scans a big table (the key
// lookup once did, on every signed request).
func TestInboxPathQueriesUseIndexes(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	st.GetAccountByKeyID(ctx, "https://remote.test/users/a#main-key")
	st.GetAccountByURI(ctx, "https://remote.test/users/a")
	st.GetAccount(ctx, owner.ID)
	st.GetOwner(ctx)
	st.GetStatusByURI(ctx, "https://remote.test/statuses/1")
	st.IsTombstone(ctx, "https://remote.test/statuses/1")
	st.GetFollow(ctx, owner.ID, 2)
	st.Follows(ctx, owner.ID, 2)
	st.Blocks(ctx, owner.ID, 2)
	st.FollowsAnyTag(ctx, []string{"go"})
	st.DueInbox(ctx, time.Now(), 64)
	st.NextInboxAt(ctx)
	st.GetStatusParts(ctx, 1)

	steps := planSteps(t, st)
	if len(steps) < 10 {
		t.Fatalf("only %d plan steps", len(steps))
	}
	for _, p := range steps {
		if fullScan.MatchString(p.detail) {
			t.Errorf("%s\nin the plan of\n%s", p.detail, p.query)
		}
	}
}

// planStep is one line of a query plan.
type planStep struct{ query, detail string }

// planSteps returns every step of the plans of the read statements st has
// prepared so far.
func planSteps(t *testing.T, st *Store) []planStep {
	t.Helper()
	st.stmts.mu.Lock()
	var queries []string
	for q := range st.stmts.m {
		queries = append(queries, q)
	}
	st.stmts.mu.Unlock()
	var steps []planStep
	for _, q := range queries {
		rows, err := st.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, planStep{q, detail})
		}
		rows.Close()
	}
	return steps
}
