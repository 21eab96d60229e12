package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"roost/handlers"
	"roost/store"
)

var roostBin string

// TestMain builds the real binary once; the tests run it as a person would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "roost-bin-")
	if err != nil {
		panic(err)
	}
	roostBin = filepath.Join(dir, "roost")
	out, err := exec.Command("go", "build", "-o", roostBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build roost: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback port nobody listens on.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cleanEnv is the environment without any ROOST_* variable of the caller.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROOST_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// run runs roost to completion and returns its exit code and output.
func run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(roostBin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// server is a running `roost serve`.
type server struct {
	cmd    *exec.Cmd
	addr   string
	stdout *syncBuffer
	done   chan error
}

// syncBuffer is a bytes.Buffer that a process's output copier may write
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor waits (up to 10 s) until the server has printed want, and
// returns everything printed so far.
func (s *server) waitFor(t *testing.T, want string) string {
	t.Helper()
	for range 200 {
		if out := s.stdout.String(); strings.Contains(out, want) {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("roost serve never printed %q; it printed:\n%s", want, s.stdout)
	return ""
}

// startServe starts `roost serve` and waits until it answers HTTP.
func startServe(t testing.TB, env []string, args ...string) *server {
	t.Helper()
	return startServeAt(t, freePort(t), env, args...)
}

// startServeAt is startServe on a given address.
func startServeAt(t testing.TB, addr string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(roostBin, append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env = env
	s := &server{cmd: cmd, addr: addr, stdout: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = s.stdout
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	for i := 0; i < 200; i++ {
		select {
		case err := <-s.done:
			t.Fatalf("roost serve exited early: %v\nstdout: %s\nstderr: %s", err, s.stdout, &stderr)
		default:
		}
		resp, err := http.Get("http://" + addr + "/.well-known/nodeinfo")
		if err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("roost serve did not answer; stderr: %s", &stderr)
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("roost serve exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("roost serve did not stop after SIGTERM")
	}
}

func (s *server) getJSON(t *testing.T, path string, accept string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFirstRunThenSecondRun(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := cleanEnv("ROOST_DATA="+data, "ROOST_URL=https://social.example", "ROOST_USERNAME=alice")

	first := startServe(t, env)
	out := first.waitFor(t, "Log in:")
	for _, want := range []string{"@alice@social.example", "https://social.example/@alice", "Password: ", "roost passwd", "Log in:"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run output lacks %q:\n%s", want, out)
		}
	}
	password := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "Password: "); ok {
			password, _, _ = strings.Cut(p, " ")
		}
	}
	jrd := first.getJSON(t, "/.well-known/webfinger?resource=acct:alice@social.example", "")
	if jrd["subject"] != "acct:alice@social.example" {
		t.Errorf("webfinger subject %v", jrd["subject"])
	}
	actor := first.getJSON(t, "/users/alice", "application/activity+json")
	key1 := actor["publicKey"].(map[string]any)["publicKeyPem"]
	first.stop(t)

	// The database is in WAL mode and the clean shutdown left no WAL to
	// recover.
	if fi, err := os.Stat(filepath.Join(data, "roost.db-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("WAL of %d bytes left after SIGTERM", fi.Size())
	}
	st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(data, "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.GetOwner(context.Background())
	st.Close()
	if err != nil || !handlers.CheckPassword(o.PasswordHash, password) || len(password) < 16 {
		t.Errorf("the printed password %q does not log in (%v)", password, err)
	}

	// Second start: same identity, same key, no new password; the URL and
	// username come from the data file when not given.
	second := startServe(t, cleanEnv("ROOST_DATA="+data))
	if strings.Contains(second.waitFor(t, "is serving"), "Password") {
		t.Errorf("second run printed a password:\n%s", second.stdout)
	}
	actor = second.getJSON(t, "/users/alice", "application/activity+json")
	if actor["id"] != "https://social.example/users/alice" || actor["publicKey"].(map[string]any)["publicKeyPem"] != key1 {
		t.Error("second run changed the identity or the key")
	}
	second.stop(t)

	// Changing the URL or the username is refused, by flag or variable.
	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{cleanEnv("ROOST_DATA=" + data), []string{"--url", "https://other.example"}, "cannot move to https://other.example"},
		{cleanEnv("ROOST_DATA="+data, "ROOST_URL=http://localhost:8080"), nil, "cannot move"},
		{cleanEnv("ROOST_DATA=" + data), []string{"--username", "bob"}, "username cannot change"},
	} {
		code, _, stderr := run(t, c.env, append([]string{"serve", "--listen", freePort(t)}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("serve %v: exit %d, stderr %q; want refusal with %q", c.args, code, stderr, c.want)
		}
	}
}

func TestBadConfigurationLeavesNothing(t *testing.T) {
	tmp := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	afile := filepath.Join(tmp, "afile")
	os.WriteFile(afile, []byte("x"), 0o600)
	for _, c := range []struct {
		name string
		args []string
		data string
		want string
	}{
		{"bad url", []string{"--url", "social.example"}, filepath.Join(tmp, "d1"), "not a valid public URL"},
		{"url with path", []string{"--url", "https://social.example/roost"}, filepath.Join(tmp, "d2"), "only a scheme and host"},
		{"bad username", []string{"--username", "no spaces"}, filepath.Join(tmp, "d3"), "username"},
		{"port in use", []string{"--listen", busy.Addr().String()}, filepath.Join(tmp, "d4"), "cannot listen on"},
		{"bad listen", []string{"--listen", "nonsense"}, filepath.Join(tmp, "d5"), "not a host:port"},
		{"unwritable data dir", nil, filepath.Join(afile, "data"), "the data directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", c.data}, c.args...)
			if !strings.Contains(strings.Join(c.args, " "), "--listen") {
				args = append(args, "--listen", freePort(t))
			}
			code, _, stderr := run(t, cleanEnv(), args...)
			if code == 0 {
				t.Fatalf("exit 0 for %s", c.name)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(stderr, c.want) || !strings.HasPrefix(stderr, "roost: ") {
				t.Errorf("stderr = %q, want one sentence with %q", stderr, c.want)
			}
			if _, err := os.Stat(c.data); err == nil {
				t.Errorf("%s was left behind", c.data)
			}
		})
	}
}

func TestInitPasswdVersionHelp(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := cleanEnv("ROOST_DATA="+data, "ROOST_PASSWORD=correct horse battery")
	code, out, stderr := run(t, env, "init", "--username", "bob", "--url", "https://bob.example")
	if code != 0 || !strings.Contains(out, "@bob@bob.example") || strings.Contains(out, "Password:") {
		t.Fatalf("init: exit %d out %q err %q", code, out, stderr)
	}
	if code, _, stderr := run(t, env, "init"); code == 0 || !strings.Contains(stderr, "already set up") {
		t.Errorf("second init: exit %d %q", code, stderr)
	}
	checkPassword := func(want string) bool {
		st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(data, "roost.db")})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		o, err := st.GetOwner(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return handlers.CheckPassword(o.PasswordHash, want)
	}
	if !checkPassword("correct horse battery") {
		t.Error("ROOST_PASSWORD was not used at init")
	}
	code, out, _ = run(t, cleanEnv("ROOST_DATA="+data, "ROOST_PASSWORD=another long one"), "passwd")
	if code != 0 || !strings.Contains(out, "changed") || !checkPassword("another long one") || checkPassword("correct horse battery") {
		t.Errorf("passwd with ROOST_PASSWORD: exit %d %q", code, out)
	}
	code, out, _ = run(t, cleanEnv("ROOST_DATA="+data), "passwd")
	p, _, _ := strings.Cut(strings.TrimSpace(out[strings.Index(out, "Password: ")+10:]), " ")
	if code != 0 || !checkPassword(p) {
		t.Errorf("passwd without a password did not generate a working one: %q", out)
	}
	if code, _, stderr := run(t, cleanEnv("ROOST_DATA="+filepath.Join(data, "none")), "passwd"); code == 0 || !strings.Contains(stderr, "no Roost data") {
		t.Errorf("passwd without data: exit %d %q", code, stderr)
	}

	code, out, _ = run(t, cleanEnv(), "version")
	if code != 0 || !strings.HasPrefix(out, "roost "+version) {
		t.Errorf("version: %q", out)
	}
	code, out, _ = run(t, cleanEnv(), "serve", "--help")
	for _, want := range []string{
		`--data string`, `(default "./data")`, "ROOST_DATA",
		`--listen string`, `(default "127.0.0.1:8080")`, "ROOST_LISTEN",
		`--url string`, `(default "http://localhost:8080")`, "ROOST_URL",
		`--username string`, `(default "me")`, "ROOST_USERNAME",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}

func TestBackupWhileServing(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := cleanEnv("ROOST_DATA="+data, "ROOST_USERNAME=carol", "ROOST_URL=https://carol.example")
	srv := startServe(t, env)
	dest := filepath.Join(t.TempDir(), "copy.db")
	code, out, stderr := run(t, env, "backup", dest)
	if code != 0 || !strings.Contains(out, "Backed up") {
		t.Fatalf("backup: exit %d %q %q", code, out, stderr)
	}
	srv.stop(t)
	// The copy is a complete data directory's database.
	st, err := store.Open(context.Background(), store.Config{Path: dest})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o, err := st.GetOwner(context.Background())
	if err != nil || o.Account.Username != "carol" {
		t.Errorf("backup owner = %v, %v", o, err)
	}
	if code, _, stderr := run(t, env, "backup", dest); code == 0 || !strings.Contains(stderr, "exists already") {
		t.Errorf("backup over an existing file: exit %d %q", code, stderr)
	}
}

// TestTwoRoostsFollowEachOther runs two real roost binaries on loopback
// with --insecure-federation, as the README describes, and has each follow
// the other.
func TestTwoRoostsFollowEachOther(t *testing.T) {
	tmp := t.TempDir()
	addrA, addrB := freePort(t), freePort(t)
	_, portA, _ := net.SplitHostPort(addrA)
	_, portB, _ := net.SplitHostPort(addrB)
	envA := cleanEnv("ROOST_DATA="+filepath.Join(tmp, "a"), "ROOST_USERNAME=ann", "ROOST_URL=http://localhost:"+portA, "ROOST_INSECURE_FEDERATION=1")
	envB := cleanEnv("ROOST_DATA="+filepath.Join(tmp, "b"), "ROOST_USERNAME=ben", "ROOST_URL=http://localhost:"+portB, "ROOST_INSECURE_FEDERATION=1")
	a := startServeAt(t, addrA, envA)
	b := startServeAt(t, addrB, envB)

	code, out, stderr := run(t, envA, "follow", "ben@localhost:"+portB)
	if code != 0 {
		t.Fatalf("ann follows ben: exit %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, envB, "follow", "@ann@localhost:"+portA)
	if code != 0 {
		t.Fatalf("ben follows ann: exit %d %q %q", code, out, stderr)
	}
	// Each side's workers apply the Follow and answer with an Accept; wait
	// (bounded) until both collections show it.
	for _, c := range []struct {
		srv  *server
		path string
	}{
		{b, "/users/ben/followers"}, {a, "/users/ann/following"},
		{a, "/users/ann/followers"}, {b, "/users/ben/following"},
	} {
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
	a.stop(t)
	b.stop(t)
}
