package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"roost/store"
)

// instance is a data directory for one roost, with its public address
// fixed at init time (the owner's URIs name it).
type instance struct {
	bin, data, addr string
	token           string
	prof            profiler // its addr is set at each start
}

// server is a running `roost serve`.
type server struct {
	cmd     *exec.Cmd
	pid     int
	stderr  bytes.Buffer
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done is closed
	base    string
	startup time.Duration // exec to first answered request
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (in *instance) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROOST_") {
			env = append(env, kv)
		}
	}
	_, port, _ := net.SplitHostPort(in.addr)
	return append(env, "ROOST_DATA="+in.data, "ROOST_URL=http://localhost:"+port,
		"ROOST_USERNAME=me", "ROOST_PASSWORD=benchmark-password")
}

func (in *instance) dbPath() string { return filepath.Join(in.data, "roost.db") }

// newInstance runs `roost init` in a fresh directory under b.tmp and
// writes an owner token for the app side.
func (b *bench) newInstance(ctx context.Context, name string) (*instance, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	in := &instance{bin: b.bin, data: filepath.Join(b.tmp, name), addr: addr, prof: profiler{dir: b.pprofDir}}
	cmd := exec.CommandContext(ctx, b.bin, "init")
	cmd.Env = in.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("roost init: %v\n%s", err, out)
	}
	st, err := in.open(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	app := &store.OAuthApp{ClientID: "bench", ClientSecretHash: store.HashSecret("s"), Name: "bench",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read", "write", "follow"}}
	if err := st.InsertOAuthApp(ctx, app); err != nil {
		return nil, err
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	in.token = hex.EncodeToString(raw)
	if err := st.InsertOAuthToken(ctx, in.token, &store.OAuthToken{AppID: app.ID, Scopes: app.Scopes, Owner: true}); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *instance) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, store.Config{Path: in.dbPath()})
}

// start execs `roost serve` and waits (at most a minute) until it answers
// /.well-known/nodeinfo.
func (in *instance) start() (*server, error) {
	args := []string{"serve", "--listen", in.addr, "--insecure-federation", "--prune-after", "0"}
	if in.prof.dir != "" {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		in.prof.addr = addr
		args = append(args, "--pprof", addr)
	}
	cmd := exec.Command(in.bin, args...)
	cmd.Env = in.env()
	s := &server{cmd: cmd, done: make(chan struct{}), base: "http://" + in.addr}
	cmd.Stderr = &s.stderr
	client := &http.Client{Timeout: time.Second}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.pid = cmd.Process.Pid
	go func() { s.err = cmd.Wait(); close(s.done) }()
	for time.Since(t0) < time.Minute {
		select {
		case <-s.done:
			return nil, fmt.Errorf("roost serve exited: %v\n%s", s.err, &s.stderr)
		default:
		}
		resp, err := client.Get(s.base + "/.well-known/nodeinfo")
		if err == nil {
			resp.Body.Close()
			s.startup = time.Since(t0)
			return s, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.kill()
	return nil, fmt.Errorf("roost serve did not answer in a minute\n%s", &s.stderr)
}

// stop sends SIGTERM and waits up to 30 s, then kills.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.err
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("roost serve did not stop after SIGTERM")
	}
}

// kill ends the process if it still runs; it is safe after stop.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Kill()
	<-s.done
}

// app is a Mastodon client with the owner's token.
type app struct {
	base, token string
	c           *http.Client
}

func (s *server) app(in *instance) *app {
	return &app{base: s.base, token: in.token, c: &http.Client{Timeout: 2 * time.Minute}}
}

func (a *app) do(method, path, ctype string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// dbBytes is the size of the data file and its WAL.
func (in *instance) dbBytes() int64 {
	var n int64
	for _, suf := range []string{"", "-wal"} {
		if fi, err := os.Stat(in.dbPath() + suf); err == nil {
			n += fi.Size()
		}
	}
	return n
}
