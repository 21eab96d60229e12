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

	st.stmts.mu.Lock()
	var queries []string
	for q := range st.stmts.m {
		queries = append(queries, q)
	}
	st.stmts.mu.Unlock()
	if len(queries) < 10 {
		t.Fatalf("only %d statements cached", len(queries))
	}
	for _, q := range queries {
		rows, err := st.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			if fullScan.MatchString(detail) {
				t.Errorf("%s\nin the plan of\n%s", detail, q)
			}
		}
		rows.Close()
	}
}
