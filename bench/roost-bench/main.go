// Command roost-bench measures a real roost binary on loopback, driving it
// over HTTP as peers and apps do, and prints one line per figure:
//
//	go run ./bench/roost-bench [-figures inbox,timeline,fanout,memory,startup,disk]
//	    [-statuses 10000,100000,1000000] [-actors 1000] [-fanout 1000,10000]
//	    [-pprof DIR]
//
// Each figure gets its own temporary data directory; large status counts are
// written into the file with the store package before the server starts.
// Everything listens on 127.0.0.1 and every wait is bounded.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// bench holds the options and the results shared between figures.
type bench struct {
	bin        string
	tmp        string
	statuses   []int
	fanouts    []int
	actors     int
	activities int
	runs       int
	workers    int
	keys       int
	samples    int
	wait       time.Duration
	pprofDir   string

	inbox      *inboxResult      // run once, read by inbox, memory and disk
	seededDirs map[int]*instance // status count → stopped, seeded instance
	seedBytes  map[int]int64     // status count → database bytes they added
}

func main() {
	var (
		figures  = flag.String("figures", "inbox,timeline,fanout,memory,startup,disk", "figures to measure, comma-separated")
		statuses = flag.String("statuses", "10000,100000,1000000", "status counts for the home timeline (the largest also for start-up)")
		fanouts  = flag.String("fanout", "1000", "distinct shared inboxes for the fan-out figure, comma-separated (e.g. 1000,10000)")
		b        bench
	)
	flag.StringVar(&b.bin, "bin", "", "roost binary to measure (default: go build the module in the current directory)")
	flag.IntVar(&b.actors, "actors", 1000, "distinct remote actors sending to the inbox")
	flag.IntVar(&b.activities, "activities", 0, "Create activities for the inbox figure (default 5 per actor)")
	flag.IntVar(&b.workers, "workers", 8, "concurrent senders for the inbox figure")
	flag.IntVar(&b.runs, "runs", 3, "inbox loads to run, each on a fresh data file; the median is reported")
	flag.IntVar(&b.keys, "keys", 8, "RSA keys shared among the remote actors (each actor keeps its own keyId)")
	flag.IntVar(&b.samples, "samples", 500, "home timeline requests per status count")
	flag.DurationVar(&b.wait, "wait", 5*time.Minute, "longest wait for the inbox queue to drain or a post to reach every inbox")
	flag.StringVar(&b.pprofDir, "pprof", "", "directory to write CPU and heap profiles of the inbox and timeline loads to")
	flag.Parse()
	var err error
	if b.statuses, err = intList(*statuses); err != nil {
		fatal(err)
	}
	if b.fanouts, err = intList(*fanouts); err != nil {
		fatal(err)
	}
	if b.runs <= 0 {
		b.runs = 1
	}
	if b.activities <= 0 {
		b.activities = 5 * b.actors
	}
	if b.pprofDir != "" {
		if err := os.MkdirAll(b.pprofDir, 0o755); err != nil {
			fatal(err)
		}
	}
	slices.Sort(b.statuses)
	b.seededDirs = map[int]*instance{}
	b.seedBytes = map[int]int64{}
	if b.tmp, err = os.MkdirTemp("", "roost-bench-"); err != nil {
		fatal(err)
	}
	defer os.RemoveAll(b.tmp)
	if b.bin == "" {
		// Built as a release is: static, stripped.
		b.bin = filepath.Join(b.tmp, "roost")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(b.tmp)
			fatal(fmt.Errorf("go build: %v\n%s", err, out))
		}
	}
	fmt.Printf("# machine cpus=%d arch=%s model=%q go=%s\n", runtime.NumCPU(), runtime.GOARCH, cpuModel(), runtime.Version())
	run := map[string]func(context.Context) error{
		"inbox": b.figInbox, "timeline": b.figTimeline, "fanout": b.figFanout,
		"memory": b.figMemory, "startup": b.figStartup, "disk": b.figDisk,
	}
	ctx := context.Background()
	failed := false
	for _, f := range strings.Split(*figures, ",") {
		f = strings.TrimSpace(f)
		fn, ok := run[f]
		if !ok {
			fmt.Fprintf(os.Stderr, "roost-bench: unknown figure %q\n", f)
			failed = true
			continue
		}
		if err := fn(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "roost-bench: %s: %v\n", f, err)
			failed = true
		}
	}
	if failed {
		os.RemoveAll(b.tmp)
		os.Exit(1)
	}
}

// line prints one figure.
func line(name string, v float64, note string) {
	if note != "" {
		fmt.Printf("%s %.1f # %s\n", name, v, note)
		return
	}
	fmt.Printf("%s %.1f\n", name, v)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "roost-bench:", err)
	os.Exit(1)
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list %q", s)
	}
	return out, nil
}

// cpuModel is the first "model name" (or arm's "Model") in /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if k = strings.TrimSpace(k); ok && (k == "model name" || k == "Model") {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// procField reads a "Key: N kB" line of /proc/PID/status, in MiB.
func procStatusMB(pid int, key string) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return n / 1024
		}
	}
	return 0
}

// writeBytes is write_bytes from /proc/PID/io: bytes the process caused to
// be sent to the storage layer.
func writeBytes(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return -1
}

// sampler records the largest VmRSS of pid, every 100 ms, until stopped.
type sampler struct {
	stop chan struct{}
	done chan float64
}

func sampleRSS(pid int) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan float64, 1)}
	go func() {
		peak := procStatusMB(pid, "VmRSS")
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				s.done <- max(peak, procStatusMB(pid, "VmRSS"))
				return
			case <-t.C:
				peak = max(peak, procStatusMB(pid, "VmRSS"))
			}
		}
	}()
	return s
}

func (s *sampler) peak() float64 {
	close(s.stop)
	return <-s.done
}
