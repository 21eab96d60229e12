package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler fetches pprof profiles from a server started with --pprof and
// writes them under dir; with dir empty it does nothing.
type profiler struct {
	dir, addr string
}

func (p profiler) get(path, file string) error {
	if p.dir == "" {
		return nil
	}
	c := &http.Client{Timeout: 2 * time.Minute}
	resp, err := c.Get("http://" + p.addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpu starts a CPU profile of the next d and returns a wait for it.
func (p profiler) cpu(name string, d time.Duration) (wait func() error) {
	errc := make(chan error, 1)
	go func() {
		errc <- p.get(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds())), name+".cpu.pprof")
	}()
	return func() error { return <-errc }
}

// heap writes the heap profile (in use and allocated since start).
func (p profiler) heap(name string) error {
	return p.get("/debug/pprof/heap", name+".heap.pprof")
}
