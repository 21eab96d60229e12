package main

import (
	"io"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestPprofOnlyOnItsOwnAddress: --pprof serves Go's profiles on the
// address given, and the public address never does.
func TestPprofOnlyOnItsOwnAddress(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := cleanEnv("ROOST_DATA="+data, "ROOST_URL=https://social.example", "ROOST_USERNAME=alice")
	paddr := freePort(t)
	srv := startServe(t, env, "--pprof", paddr)
	defer srv.stop(t)
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + paddr + "/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("pprof address: %d %.200s", code, body)
	}
	if code, _ := get("http://" + srv.addr + "/debug/pprof/heap?debug=1"); code != http.StatusNotFound {
		t.Fatalf("public address served /debug/pprof/heap: %d", code)
	}
}

// TestMemoryLimitDefault: serve sets a soft memory limit for small boards
// unless GOMEMLIMIT says otherwise.
func TestMemoryLimitDefault(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	t.Setenv("GOMEMLIMIT", "")
	setMemoryLimit(defaultMemoryLimit)
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Fatalf("memory limit %d, want 64 MiB", got)
	}
	t.Setenv("GOMEMLIMIT", "200MiB") // the runtime read it at start; serve must not override it
	setMemoryLimit(32)
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Fatalf("memory limit %d changed although GOMEMLIMIT is set", got)
	}
}
