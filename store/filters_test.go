package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFiltersKeywordsAndStatuses(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	s1 := insert(t, st, &Status{URI: "u:1", AccountID: owner.ID, Local: true})

	exp := time.Now().Add(time.Hour).Truncate(time.Millisecond).UTC()
	f := &Filter{Title: "Spoilers", Context: []string{"home", "public"}, Action: FilterWarn, ExpiresAt: &exp,
		Keywords: []*FilterKeyword{{Keyword: "dune", WholeWord: true}, {Keyword: "arrakis"}}}
	if err := st.InsertFilter(ctx, f); err != nil {
		t.Fatal(err)
	}
	if f.ID == 0 || f.Keywords[0].ID == 0 || f.Keywords[1].FilterID != f.ID {
		t.Fatalf("ids not set: %+v %+v", f, f.Keywords[0])
	}
	fs := &FilterStatus{FilterID: f.ID, StatusID: s1.ID}
	if err := st.InsertFilterStatus(ctx, fs); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertFilterStatus(ctx, &FilterStatus{FilterID: f.ID, StatusID: s1.ID}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate status: %v, want ErrConflict", err)
	}
	if err := st.InsertFilterStatus(ctx, &FilterStatus{FilterID: f.ID, StatusID: 12345}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown status: %v, want ErrNotFound", err)
	}
	if err := st.InsertFilterKeyword(ctx, &FilterKeyword{FilterID: 999, Keyword: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("keyword of unknown filter: %v, want ErrNotFound", err)
	}

	got, err := st.GetFilter(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Spoilers" || len(got.Context) != 2 || got.Action != FilterWarn || !got.ExpiresAt.Equal(exp) ||
		len(got.Keywords) != 2 || !got.Keywords[0].WholeWord || len(got.Statuses) != 1 || got.Statuses[0].StatusID != s1.ID {
		t.Errorf("GetFilter = %+v", got)
	}
	if got.Expired(time.Now()) || !got.Expired(exp) {
		t.Error("Expired is wrong")
	}

	// Update: rename, drop one keyword, change the other, add a third.
	got.Title, got.Action, got.ExpiresAt = "Books", FilterHide, nil
	edits := []KeywordEdit{{ID: got.Keywords[0].ID, Destroy: true}, {ID: got.Keywords[1].ID, Keyword: "Arrakis", WholeWord: true},
		{Keyword: "spice"}}
	if err := st.UpdateFilter(ctx, got, edits); err != nil {
		t.Fatal(err)
	}
	all, err := st.ListFilters(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("ListFilters = %v, %v", all, err)
	}
	u := all[0]
	if u.Title != "Books" || u.Action != FilterHide || u.ExpiresAt != nil || len(u.Keywords) != 2 ||
		u.Keywords[0].Keyword != "Arrakis" || !u.Keywords[0].WholeWord || u.Keywords[1].Keyword != "spice" {
		t.Errorf("after update = %+v, keywords %+v %+v", u, u.Keywords[0], u.Keywords[1])
	}
	// An edit naming another filter's keyword changes nothing.
	other := &Filter{Title: "Other", Context: []string{"home"}, Action: FilterWarn, Keywords: []*FilterKeyword{{Keyword: "x"}}}
	if err := st.InsertFilter(ctx, other); err != nil {
		t.Fatal(err)
	}
	u.Title = "Changed"
	if err := st.UpdateFilter(ctx, u, []KeywordEdit{{ID: other.Keywords[0].ID, Destroy: true}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("foreign keyword edit: %v", err)
	}
	if again, _ := st.GetFilter(ctx, u.ID); again.Title != "Books" {
		t.Error("a failed update was partly applied")
	}

	k, err := st.GetFilterKeyword(ctx, u.Keywords[1].ID)
	if err != nil || k.Keyword != "spice" {
		t.Fatalf("GetFilterKeyword = %+v, %v", k, err)
	}
	k.Keyword = "melange"
	if err := st.UpdateFilterKeyword(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteFilterKeyword(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetFilterKeyword(ctx, k.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted keyword: %v", err)
	}
	if got, err := st.GetFilterStatus(ctx, fs.ID); err != nil || got.StatusID != s1.ID {
		t.Errorf("GetFilterStatus = %+v, %v", got, err)
	}
	if err := st.DeleteFilter(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetFilterStatus(ctx, fs.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("status of a deleted filter: %v", err)
	}
	if err := st.DeleteFilterStatus(ctx, fs.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete gone status: %v", err)
	}
}
