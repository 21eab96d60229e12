package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"roost/store"
)

// rssKB reads a process's resident set from /proc.
func rssKB(tb testing.TB, pid int) float64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return n
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// BenchmarkStreamsMemory starts the real binary, opens 20 WebSocket
// streams (user) and reports its resident memory before and with them.
//
//	go test . -run XXX -bench StreamsMemory -benchtime 1x
func BenchmarkStreamsMemory(b *testing.B) {
	const streams = 20
	data := filepath.Join(b.TempDir(), "data")
	env := cleanEnv("ROOST_DATA="+data, "ROOST_URL=http://localhost:8080", "ROOST_PASSWORD=benchmark-password")
	srv := startServe(b, env)
	defer srv.cmd.Process.Kill()
	// A token, written as the OAuth code would.
	st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(data, "roost.db")})
	if err != nil {
		b.Fatal(err)
	}
	app := &store.OAuthApp{ClientID: "bench", ClientSecretHash: store.HashSecret("s"), Name: "bench",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read"}}
	if err := st.InsertOAuthApp(context.Background(), app); err != nil {
		b.Fatal(err)
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	token := hex.EncodeToString(raw)
	if err := st.InsertOAuthToken(context.Background(), token, &store.OAuthToken{AppID: app.ID, Scopes: app.Scopes, Owner: true}); err != nil {
		b.Fatal(err)
	}
	st.Close()
	pid := srv.cmd.Process.Pid
	time.Sleep(2 * time.Second)
	idle := rssKB(b, pid)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < b.N; i++ {
		var conns []*websocket.Conn
		for j := 0; j < streams; j++ {
			c, _, err := websocket.Dial(ctx, "ws://"+srv.addr+"/api/v1/streaming?stream=user&access_token="+token, nil)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		time.Sleep(2 * time.Second)
		b.ReportMetric(rssKB(b, pid)/1024, "MB-rss-20-streams")
		for _, c := range conns {
			c.CloseNow()
		}
	}
	b.ReportMetric(idle/1024, "MB-rss-idle")
}
