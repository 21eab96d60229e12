package handlers

import (
	"context"
	"net/url"
	"testing"

	"roost/store"
)

// TestReportFederatesAsFlag reports a remote account and one of its
// statuses with forward=true: the answer is the Report entity, and the
// other Roost stores the Flag as a report about its owner.
func TestReportFederatesAsFlag(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	a.followHandle("bob@b.test")
	settle(t, a, b)
	post := b.post("<p>something reportable</p>", store.Public)
	settle(t, a, b)
	bobAtA := a.accountOf(b)
	copyAtA := a.status(post.URI)
	if copyAtA == nil {
		t.Fatal("alice did not receive bob's post")
	}

	var rep jsonObj
	a.api("write:reports").do("POST", "/api/v1/reports", url.Values{
		"account_id": {store.FormatID(bobAtA.ID)}, "status_ids[]": {store.FormatID(copyAtA.ID)},
		"comment": {"please look"}, "forward": {"true"}, "category": {"spam"},
	}, nil, &rep)
	ids, _ := rep["status_ids"].([]any)
	target, _ := rep["target_account"].(jsonObj)
	if rep["action_taken"] != false || rep["action_taken_at"] != nil || rep["category"] != "spam" || rep["comment"] != "please look" ||
		rep["forwarded"] != true || len(ids) != 1 || ids[0] != store.FormatID(copyAtA.ID) || target["id"] != store.FormatID(bobAtA.ID) {
		t.Errorf("report entity: %v", rep)
	}
	if rs, err := a.st.ListReportsByAccount(ctx, bobAtA.ID); err != nil || len(rs) != 1 {
		t.Fatalf("alice's reports about bob: %v, %v", rs, err)
	}
	settle(t, a, b)

	aliceAtB := b.accountOf(a)
	rs, err := b.st.ListReportsByAccount(ctx, aliceAtB.ID)
	if err != nil || len(rs) != 1 {
		t.Fatalf("bob's server stored %d reports from alice (%v), want 1", len(rs), err)
	}
	if r := rs[0]; r.Comment != "please look" || len(r.StatusIDs) != 1 || r.StatusIDs[0] != post.ID {
		t.Errorf("stored report %+v, want the comment and status %d", r, post.ID)
	}

	// Without forward the report stays home.
	a.api("write:reports").do("POST", "/api/v1/reports", url.Values{"account_id": {store.FormatID(bobAtA.ID)}}, nil, &rep)
	if rep["forwarded"] != false || rep["category"] != "other" {
		t.Errorf("unforwarded report: %v", rep)
	}
	settle(t, a, b)
	if rs, _ := b.st.ListReportsByAccount(ctx, aliceAtB.ID); len(rs) != 1 {
		t.Errorf("an unforwarded report reached bob's server: %d reports", len(rs))
	}
}
