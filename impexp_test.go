package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/store"
)

// seedAccounts stores remote accounts in the data directory, as if Roost
// had met them, so that imports need no network. Their inboxes are on a
// loopback address that Roost refuses to deliver to outside tests.
func seedAccounts(t *testing.T, data string, handles ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(data, "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, h := range handles {
		user, host, _ := strings.Cut(h, "@")
		a := &store.Account{URI: "https://" + host + "/users/" + user, Username: user, Domain: host,
			Inbox: "https://127.0.0.1:1/users/" + user + "/inbox"}
		if err := st.UpsertRemoteAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExportImportRoundTrip imports blocks, mutes and domain blocks in
// Mastodon's formats, exports them, and imports the exports into a second
// data directory, which then exports the same files.
func TestExportImportRoundTrip(t *testing.T) {
	tmp := t.TempDir()
	envFor := func(name string) []string {
		env := cleanEnv("ROOST_DATA="+filepath.Join(tmp, name), "ROOST_PASSWORD=correct horse battery")
		if code, out, stderr := run(t, env, "init", "--username", name, "--url", "https://"+name+".example"); code != 0 {
			t.Fatalf("init %s: %d %s %s", name, code, out, stderr)
		}
		seedAccounts(t, filepath.Join(tmp, name), "troll@bad.example", "loud@noisy.example", "quiet@noisy.example")
		return env
	}
	envA, envB := envFor("a"), envFor("b")

	var domains strings.Builder
	for i := range 30 {
		fmt.Fprintf(&domains, "spam%02d.example\n", i)
	}
	imports := []struct{ kind, csv string }{
		{"blocks", "troll@bad.example\n@troll@bad.example\n"},
		{"mutes", "Account address,Hide notifications\nloud@noisy.example,true\nquiet@noisy.example,false\n"},
		{"domain_blocks", domains.String()},
	}
	for _, imp := range imports {
		file := writeFile(t, filepath.Join(tmp, imp.kind+".csv"), imp.csv)
		code, out, stderr := run(t, envA, "import", imp.kind, file)
		if code != 0 {
			t.Fatalf("import %s: exit %d\n%s%s", imp.kind, code, out, stderr)
		}
		if imp.kind == "domain_blocks" && !strings.Contains(stderr, "30/30 imported") {
			t.Errorf("import of 30 domains showed no progress: %q", stderr)
		}
	}
	want := map[string]string{
		"blocks":        "troll@bad.example\n",
		"mutes":         "Account address,Hide notifications\nloud@noisy.example,true\nquiet@noisy.example,false\n",
		"domain_blocks": domains.String(),
	}
	for kind, w := range want {
		// To standard output from a, to a file and back into b.
		code, out, stderr := run(t, envA, "export", kind)
		if code != 0 || out != w {
			t.Errorf("export %s: exit %d %q\ngot  %q\nwant %q", kind, code, stderr, out, w)
		}
		file := filepath.Join(tmp, "exported-"+kind+".csv")
		if code, _, stderr := run(t, envA, "export", kind, file); code != 0 {
			t.Fatalf("export %s to a file: %s", kind, stderr)
		}
		if code, out, stderr := run(t, envB, "import", kind, file); code != 0 {
			t.Fatalf("import %s into b: exit %d\n%s%s", kind, code, out, stderr)
		}
		if _, out, _ := run(t, envB, "export", kind); out != w {
			t.Errorf("b's %s after the round trip:\ngot  %q\nwant %q", kind, out, w)
		}
		// Importing again adds nothing and is no error.
		if code, out, stderr := run(t, envB, "import", kind, file); code != 0 || !strings.Contains(out, "Imported 0 of") {
			t.Errorf("second import of %s: exit %d %q %q", kind, code, out, stderr)
		}
	}

	// A bad line is reported, the rest go on, and the exit status says so.
	file := writeFile(t, filepath.Join(tmp, "mixed.csv"), "not an address\nloud@noisy.example\n")
	code, out, stderr := run(t, envB, "import", "blocks", file)
	if code == 0 || !strings.Contains(stderr, "not an address") || !strings.Contains(out, "Imported 1 of 2") {
		t.Errorf("import with a bad line: exit %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, envB, "export", "nonsense"); code == 0 || !strings.Contains(stderr, "choose one of") {
		t.Errorf("export of an unknown kind: exit %d %q", code, stderr)
	}
}

// TestImportFollowingFederates imports a following CSV against another
// running Roost: the Follow arrives and is accepted, and a line naming a
// server that does not answer is reported without stopping the rest.
func TestImportFollowingFederates(t *testing.T) {
	tmp := t.TempDir()
	addrA, addrB := freePort(t), freePort(t)
	_, portA, _ := net.SplitHostPort(addrA)
	_, portB, _ := net.SplitHostPort(addrB)
	envA := cleanEnv("ROOST_DATA="+filepath.Join(tmp, "a"), "ROOST_USERNAME=ann", "ROOST_URL=http://localhost:"+portA, "ROOST_INSECURE_FEDERATION=1")
	envB := cleanEnv("ROOST_DATA="+filepath.Join(tmp, "b"), "ROOST_USERNAME=ben", "ROOST_URL=http://localhost:"+portB, "ROOST_INSECURE_FEDERATION=1")
	a := startServeAt(t, addrA, envA)
	b := startServeAt(t, addrB, envB)

	file := writeFile(t, filepath.Join(tmp, "following_accounts.csv"),
		"Account address,Show boosts,Notify on new posts,Languages\n"+
			"ben@localhost:"+portB+",false,true,\n"+
			"gone@localhost:"+freePortNumber(t)+",true,false,\n")
	code, out, stderr := run(t, cleanEnv("ROOST_DATA="+filepath.Join(tmp, "a")), "import", "following", file, "--insecure-federation")
	if code == 0 || !strings.Contains(stderr, "gone@localhost") || !strings.Contains(out, "Imported 1 of 2") {
		t.Fatalf("import following: exit %d %q %q", code, out, stderr)
	}
	for _, c := range []struct {
		srv  *server
		path string
	}{{b, "/users/ben/followers"}, {a, "/users/ann/following"}} {
		total := 0.0
		for i := 0; i < 200 && total != 1; i++ {
			total, _ = c.srv.getJSON(t, c.path, "application/activity+json")["totalItems"].(float64)
			if total != 1 {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if total != 1 {
			t.Errorf("%s%s: totalItems %v, want 1", c.srv.addr, c.path, total)
		}
	}
	code, out, _ = run(t, envA, "export", "following")
	if want := "Account address,Show boosts,Notify on new posts,Languages\nben@localhost:" + portB + ",false,true,\n"; code != 0 || out != want {
		t.Errorf("export following:\ngot  %q\nwant %q", out, want)
	}
	code, out, _ = run(t, envB, "export", "followers")
	if want := "Account address\nann@localhost:" + portA + "\n"; code != 0 || out != want {
		t.Errorf("export followers:\ngot  %q\nwant %q", out, want)
	}
	a.stop(t)
	b.stop(t)
}

// freePortNumber is a loopback port nobody listens on, as a string.
func freePortNumber(t *testing.T) string {
	_, port, _ := net.SplitHostPort(freePort(t))
	return port
}
