package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), Config{Path: filepath.Join(t.TempDir(), "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newOwner(t *testing.T, st *Store) *Account {
	t.Helper()
	a := &Account{URI: "https://example.test/users/me", Username: "me", DisplayName: "Me"}
	if err := st.CreateOwner(context.Background(), &Owner{Account: a, PasswordHash: "h", PrivateKeyPEM: "k"}); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestOpenAppliesEveryMigrationAndPragmas(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	var v, appID int
	var mode string
	var fk int
	st.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	st.w.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID)
	st.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
	st.r.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
	if v != SchemaVersion() || v == 0 {
		t.Errorf("user_version = %d, want %d", v, SchemaVersion())
	}
	if appID != applicationID {
		t.Errorf("application_id = %#x", appID)
	}
	if mode != "wal" || fk != 1 {
		t.Errorf("journal_mode %q foreign_keys %d, want wal and 1", mode, fk)
	}
	// The reader pool must refuse writes.
	if _, err := st.r.ExecContext(ctx, "INSERT INTO settings VALUES ('x', 'y')"); err == nil {
		t.Error("reader connection accepted a write")
	}
}

// TestMigrationsUpgradeAnExistingFile opens a file made by an older schema
// and checks that the newer migration is applied and the data kept.
func TestMigrationsUpgradeAnExistingFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roost.db")
	v1 := fstest.MapFS{
		"migrations/0001_init.sql": {Data: []byte(`PRAGMA application_id = 1919905652;
			CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);`)},
	}
	v2 := fstest.MapFS{
		"migrations/0001_init.sql": v1["migrations/0001_init.sql"],
		"migrations/0002_titles.sql": {Data: []byte(`ALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT 'untitled';
			CREATE INDEX notes_title ON notes (title);`)},
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db, v1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO notes (body) VALUES ('kept')`); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, v2); err != nil {
		t.Fatal(err)
	}
	var body, title string
	var v int
	if err := db.QueryRow(`SELECT body, title FROM notes`).Scan(&body, &title); err != nil {
		t.Fatal(err)
	}
	db.QueryRow("PRAGMA user_version").Scan(&v)
	if body != "kept" || title != "untitled" || v != 2 {
		t.Errorf("after upgrade: body %q title %q version %d", body, title, v)
	}
	// Running again is a no-op.
	if err := migrate(ctx, db, v2); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

// TestFailedMigrationLeavesTheLastGoodVersion: a broken migration rolls
// back whole and the file stays at the version before it.
func TestFailedMigrationLeavesTheLastGoodVersion(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "roost.db"), false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	bad := fstest.MapFS{
		"migrations/0001_init.sql": {Data: []byte(`PRAGMA application_id = 1919905652; CREATE TABLE a (x);`)},
		"migrations/0002_bad.sql":  {Data: []byte(`CREATE TABLE b (y); INSERT INTO nowhere VALUES (1);`)},
	}
	if err := migrate(ctx, db, bad); err == nil {
		t.Fatal("broken migration succeeded")
	}
	var v, n int
	db.QueryRow("PRAGMA user_version").Scan(&v)
	db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n)
	if v != 1 || n != 0 {
		t.Errorf("version %d, table b exists %d; want 1 and 0", v, n)
	}
}

func TestNewerSchemaIsRefusedUntouched(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roost.db")
	st, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	newOwner(t, st)
	if _, err := st.w.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before := fileSum(t, path)
	_, err = Open(ctx, Config{Path: path})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema", err)
	}
	if after := fileSum(t, path); !bytes.Equal(before, after) {
		t.Error("refusing the file changed it")
	}
}

func TestForeignSQLiteFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec("CREATE TABLE mine (x)")
	db.Close()
	if _, err := Open(context.Background(), Config{Path: path}); !errors.Is(err, ErrNotRoost) {
		t.Fatalf("Open = %v, want ErrNotRoost", err)
	}
}

func fileSum(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return s[:]
}

func TestIDsSortLikeMastodonExpects(t *testing.T) {
	g := newIDGen()
	now := time.Now()
	prev := ""
	for i := 0; i < 1000; i++ {
		id := FormatID(g.next(now))
		// Tusky compares by length, then lexically.
		if prev != "" && !(len(id) > len(prev) || len(id) == len(prev) && id > prev) {
			t.Fatalf("id %s does not sort after %s", id, prev)
		}
		prev = id
	}
	early, late := IDAt(now.Add(-time.Hour)), g.next(now)
	if early >= late {
		t.Errorf("an id from an hour ago (%d) sorts after one from now (%d)", early, late)
	}
	if got := IDTime(late); got.Sub(now).Abs() > time.Millisecond {
		t.Errorf("IDTime = %v, want %v", got, now)
	}
	if _, ok := ParseID("12ab"); ok {
		t.Error("ParseID accepted 12ab")
	}
	if _, ok := ParseID("-5"); ok {
		t.Error("ParseID accepted -5")
	}
}

func TestOwnerIsCreatedOnceAndReadBack(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	if _, err := st.GetOwner(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetOwner before set-up = %v, want ErrNotFound", err)
	}
	a := newOwner(t, st)
	o, err := st.GetOwner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Account.ID != a.ID || o.Account.Username != "me" || o.PrivateKeyPEM != "k" || !o.Account.Local() {
		t.Errorf("owner read back as %+v", o)
	}
	err = st.CreateOwner(ctx, &Owner{Account: &Account{URI: "https://example.test/users/two", Username: "two"}})
	if !errors.Is(err, ErrConflict) {
		t.Errorf("second owner: %v, want ErrConflict", err)
	}
	if err := st.SetOwnerPassword(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	if o, _ := st.GetOwner(ctx); o.PasswordHash != "new" {
		t.Errorf("password hash = %q", o.PasswordHash)
	}
	got, err := st.GetAccountByHandle(ctx, "ME", "")
	if err != nil || got.ID != a.ID {
		t.Errorf("GetAccountByHandle(ME) = %v, %v", got, err)
	}
}

func insert(t *testing.T, st *Store, s *Status) *Status {
	t.Helper()
	if err := st.InsertStatus(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStatusPagingMatchesMastodon(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	var ids []int64
	for i := 0; i < 10; i++ {
		s := insert(t, st, &Status{URI: "https://example.test/s/" + FormatID(int64(i)), AccountID: owner.ID, Local: true, Content: "x"})
		ids = append(ids, s.ID)
	}
	list := func(p Page) []int64 {
		t.Helper()
		got, err := st.ListAccountStatuses(ctx, owner.ID, AccountStatusesFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, s := range got {
			out = append(out, s.ID)
		}
		return out
	}
	eq := func(name string, got []int64, want ...int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: got %d ids, want %d", name, len(got), len(want))
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", name, got, want)
				return
			}
		}
	}
	eq("newest 3", list(Page{Limit: 3}), ids[9], ids[8], ids[7])
	eq("max_id", list(Page{MaxID: ids[7], Limit: 3}), ids[6], ids[5], ids[4])
	// since_id counts down from the newest; min_id counts up from the id.
	eq("since_id", list(Page{SinceID: ids[2], Limit: 3}), ids[9], ids[8], ids[7])
	eq("min_id", list(Page{MinID: ids[2], Limit: 3}), ids[5], ids[4], ids[3])
	if n := len(list(Page{Limit: 1000})); n != 10 {
		t.Errorf("limit over max: %d rows", n)
	}
}

func TestThreadAndVisibility(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	root := insert(t, st, &Status{URI: "u:root", AccountID: owner.ID, Local: true})
	reply := insert(t, st, &Status{URI: "u:reply", AccountID: owner.ID, Local: true, InReplyToID: &root.ID, InReplyToURI: "u:root"})
	deeper := insert(t, st, &Status{URI: "u:deeper", AccountID: owner.ID, Local: true, InReplyToID: &reply.ID, InReplyToURI: "u:reply"})
	side := insert(t, st, &Status{URI: "u:side", AccountID: owner.ID, Local: true, InReplyToID: &root.ID, InReplyToURI: "u:root"})
	insert(t, st, &Status{URI: "u:dm", AccountID: owner.ID, Local: true, Visibility: Direct})

	anc, err := st.Ancestors(ctx, deeper)
	if err != nil || len(anc) != 2 || anc[0].ID != root.ID || anc[1].ID != reply.ID {
		t.Errorf("ancestors of deeper = %v, %v", uris(anc), err)
	}
	desc, err := st.Descendants(ctx, root)
	if err != nil || len(desc) != 3 || desc[0].ID != reply.ID || desc[1].ID != deeper.ID || desc[2].ID != side.ID {
		t.Errorf("descendants of root = %v, %v", uris(desc), err)
	}
	got, _ := st.GetStatus(ctx, root.ID)
	if got.RepliesCount != 2 {
		t.Errorf("root replies_count = %d, want 2", got.RepliesCount)
	}
	n, _ := st.CountStatuses(ctx, owner.ID, Public, Unlisted)
	if n != 4 {
		t.Errorf("public+unlisted count = %d, want 4 (the DM is not counted)", n)
	}
	top, _ := st.ListAccountStatuses(ctx, owner.ID, AccountStatusesFilter{ExcludeReplies: true}, Page{})
	if len(top) != 1 || top[0].ID != root.ID {
		t.Errorf("without replies = %v", uris(top))
	}
	if err := st.InsertStatus(ctx, &Status{URI: "u:root", AccountID: owner.ID, Local: true}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate uri: %v, want ErrConflict", err)
	}
}

func uris(list []*Status) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.URI)
	}
	return out
}

// TestCancelledQueryLeavesConnectionsUsable: modernc once left a
// connection interrupted for good after a cancelled query.
func TestCancelledQueryLeavesConnectionsUsable(t *testing.T) {
	st := newTestStore(t)
	owner := newOwner(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.GetStatus(ctx, 1); err == nil {
		t.Fatal("query with a cancelled context succeeded")
	}
	if err := st.InsertStatus(ctx, &Status{URI: "u:x", AccountID: owner.ID}); err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
	bg := context.Background()
	for i := 0; i < 8; i++ { // every reader in the pool
		if _, err := st.GetAccount(bg, owner.ID); err != nil {
			t.Fatalf("read after cancel: %v", err)
		}
	}
	if err := st.InsertStatus(bg, &Status{URI: "u:y", AccountID: owner.ID}); err != nil {
		t.Fatalf("write after cancel: %v", err)
	}
}

func TestFollowCounts(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	for i, pending := range []bool{false, false, true} {
		remote := &Account{URI: "https://remote.test/users/" + FormatID(int64(i+1)), Username: "r" + FormatID(int64(i+1)), Domain: "remote.test"}
		if err := st.InsertAccount(ctx, remote); err != nil {
			t.Fatal(err)
		}
		if err := st.InsertFollow(ctx, &Follow{AccountID: remote.ID, TargetAccountID: owner.ID, Pending: pending}); err != nil {
			t.Fatal(err)
		}
	}
	n, _ := st.CountFollowers(ctx, owner.ID)
	accts, _, err := st.ListFollowers(ctx, owner.ID, Page{})
	if n != 2 || err != nil || len(accts) != 2 || accts[0].Username != "r2" {
		t.Errorf("followers: count %d list %d (%v)", n, len(accts), err)
	}
}
