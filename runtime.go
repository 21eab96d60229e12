// Go's profiles and the runtime's memory limit for serve.

package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"
)

// servePprof serves Go's profiles (/debug/pprof/) on their own address,
// never on the public one, until ln is closed.
func servePprof(ln net.Listener, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Debug("pprof", "err", err)
	}
}

// defaultMemoryLimit (MiB) keeps the heap small on a board with 512 MB or
// less: the collector works harder as the Go runtime's memory nears it,
// instead of letting the heap double after a burst (an image decode, an
// inbox flood). It is a soft limit; nothing fails when it is passed.
const defaultMemoryLimit = 64

// setMemoryLimit applies the soft memory limit unless GOMEMLIMIT is set.
func setMemoryLimit(mib int) {
	if os.Getenv("GOMEMLIMIT") != "" || mib <= 0 {
		return
	}
	debug.SetMemoryLimit(int64(mib) << 20)
}
