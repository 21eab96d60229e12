package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/store"
)

// seedRemote adds n old statuses of an old remote account the owner never
// touched, and one of a followed account that the owner favourited.
func seedRemote(t *testing.T, dbPath string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	owner, err := st.GetOwner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-60 * 24 * time.Hour)
	stranger := &store.Account{URI: "https://remote.test/users/stranger", Username: "stranger", Domain: "remote.test", FetchedAt: old}
	friend := &store.Account{URI: "https://remote.test/users/friend", Username: "friend", Domain: "remote.test", FetchedAt: old}
	for _, a := range []*store.Account{stranger, friend} {
		if err := st.UpsertRemoteAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	body := strings.Repeat("<p>a long remote post that nobody here ever looked at</p>", 20)
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i := range n {
			s := &store.Status{URI: fmt.Sprintf("https://remote.test/s/%d", i), AccountID: stranger.ID, Content: body,
				CreatedAt: old.Add(time.Duration(i) * time.Second)}
			if err := tx.InsertStatus(s, &store.StatusParts{Media: []*store.Media{{AccountID: stranger.ID, RemoteURL: s.URI + ".png"}}}); err != nil {
				return err
			}
		}
		if err := tx.InsertFollow(&store.Follow{AccountID: owner.Account.ID, TargetAccountID: friend.ID}); err != nil {
			return err
		}
		fav := &store.Status{URI: "https://remote.test/s/fav", AccountID: friend.ID, CreatedAt: old}
		if err := tx.InsertStatus(fav, nil); err != nil {
			return err
		}
		_, err := tx.InsertFavourite(owner.Account.ID, fav.ID, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPruneCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := cleanEnv("ROOST_DATA="+data, "ROOST_PASSWORD=correct horse battery")
	if code, out, stderr := run(t, env, "init", "--username", "dora", "--url", "https://dora.example"); code != 0 {
		t.Fatalf("init: exit %d %q %q", code, out, stderr)
	}
	db := filepath.Join(data, dbName)
	const n = 2000
	seedRemote(t, db, n)

	code, out, stderr := run(t, env, "prune", "--dry-run")
	want := fmt.Sprintf("Would remove %d remote statuses (with %d media attachments) and 1 remote accounts", n, n)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("prune --dry-run: exit %d, out %q, err %q; want %q", code, out, stderr, want)
	}
	before := dbSize(db)

	code, out, stderr = run(t, env, "prune", "--vacuum")
	want = fmt.Sprintf("Removed %d remote statuses (with %d media attachments) and 1 remote accounts", n, n)
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "before,") {
		t.Fatalf("prune --vacuum: exit %d, out %q, err %q; want %q", code, out, stderr, want)
	}
	// Not a terminal: one progress line at the end of a long run at most.
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress bar drawn on a non-terminal: %q", stderr)
	}
	if after := dbSize(db); after >= before {
		t.Errorf("database %d bytes after prune --vacuum, was %d", after, before)
	}

	// What the owner favourited, and the friend, stay; a second run finds
	// nothing.
	st, err := store.Open(context.Background(), store.Config{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetStatusByURI(context.Background(), "https://remote.test/s/fav"); err != nil {
		t.Errorf("favourited status: %v", err)
	}
	if _, err := st.GetAccountByURI(context.Background(), "https://remote.test/users/friend"); err != nil {
		t.Errorf("followed account: %v", err)
	}
	st.Close()
	code, out, _ = run(t, env, "prune")
	if code != 0 || !strings.Contains(out, "Removed 0 remote statuses") {
		t.Errorf("second prune: exit %d %q", code, out)
	}

	for _, args := range [][]string{{"prune", "--older-than", "0"}, {"prune", "--dry-run", "--vacuum"}} {
		if code, _, stderr := run(t, env, args...); code == 0 || !strings.HasPrefix(stderr, "roost: ") {
			t.Errorf("%v: exit %d %q", args, code, stderr)
		}
	}
	if code, _, stderr := run(t, cleanEnv("ROOST_DATA="+filepath.Join(data, "none")), "prune"); code == 0 || !strings.Contains(stderr, "no Roost data") {
		t.Errorf("prune without data: exit %d %q", code, stderr)
	}
	if code, out, _ := run(t, cleanEnv(), "serve", "--help"); code != 0 || !strings.Contains(out, "ROOST_PRUNE_AFTER") {
		t.Errorf("serve --help lacks --prune-after: %q", out)
	}
	if code, _, stderr := run(t, cleanEnv("ROOST_DATA="+data, "ROOST_PRUNE_AFTER=-1"), "serve", "--listen", freePort(t)); code == 0 || !strings.Contains(stderr, "--prune-after") {
		t.Errorf("serve with a negative ROOST_PRUNE_AFTER: exit %d %q", code, stderr)
	}
}
