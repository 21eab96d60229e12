// Command roost is a personal fediverse server: one person's home on the
// fediverse, in one binary with one SQLite file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"roost/handlers"
	"roost/store"
)

// version is Roost's version; release builds set it with
// -ldflags "-X main.version=…".
var version = "0.1.0"

func main() {
	if err := newRootCmd(os.Stdin, os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "roost: "+sentence(err))
		os.Exit(1)
	}
}

// sentence makes err read as one sentence.
func sentence(err error) string {
	s := err.Error()
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// newRootCmd builds the command tree; main and the tests share it.
func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	cfg := &config{}
	root := &cobra.Command{
		Use:           "roost",
		Short:         "Roost is a personal fediverse server",
		Long:          "Roost gives one person their own home on the fediverse: ActivityPub federation,\nthe Mastodon client API and public web pages, in one binary with one SQLite file.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&cfg.dataDir, "data", "./data", "directory holding roost.db and media")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		return applyEnv(cmd.Flags())
	}

	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run the server (sets up the data directory and owner on first run)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), cfg, cmd.Flags(), stdout, stderr)
		},
	}
	addIdentityFlags(serve.Flags(), cfg)
	serve.Flags().StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "address to listen on")
	serve.Flags().BoolVar(&cfg.insecure, "insecure-federation", false, "federate over plain http and with private addresses (local tests only)")
	serve.Flags().IntVar(&cfg.pruneAfter, "prune-after", 30, "days after which remote posts and accounts you never interacted with are removed (0: never)")
	serve.Flags().IntVar(&cfg.memoryLimit, "memory-limit", defaultMemoryLimit, "soft memory limit in MiB the garbage collector keeps to (GOMEMLIMIT overrides it; 0: none)")
	serve.Flags().StringVar(&cfg.pprof, "pprof", "", "address to serve Go's pprof profiles on, such as 127.0.0.1:6060 (never a public one)")

	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Set up the data directory and owner account without serving",
		Long:  "Set up the data directory and the owner account. Every answer can be given as a flag\nor ROOST_* variable; when standard input is a terminal, missing answers are asked for.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd.Context(), cfg, cmd.Flags(), stdin, stdout)
		},
	}
	addIdentityFlags(initCmd.Flags(), cfg)

	passwd := &cobra.Command{
		Use:   "passwd",
		Short: "Set a new password for the owner (ROOST_PASSWORD, a prompt, or generated)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPasswd(cmd.Context(), cfg, stdin, stdout)
		},
	}

	backup := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to FILE, safe while Roost runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBackup(cmd.Context(), cfg, args[0], stdout)
		},
	}

	follow := &cobra.Command{
		Use:   "follow USER@HOST",
		Short: "Follow an account anywhere on the fediverse from the command line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFollow(cmd.Context(), cfg, args[0], stdout, stderr)
		},
	}
	follow.Flags().BoolVar(&cfg.insecure, "insecure-federation", false, "federate over plain http and with private addresses (local tests only)")

	versionCmd := &cobra.Command{
		Use:   "version",
		Short: "Print Roost's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintf(stdout, "roost %s (schema %d)\n", version, store.SchemaVersion())
		},
	}
	root.AddCommand(serve, initCmd, passwd, backup, follow, newExportCmd(cfg, stdout), newImportCmd(cfg, stdout, stderr), newPruneCmd(cfg, stdout, stderr), versionCmd)
	root.InitDefaultHelpCmd()
	decorateEnvHelp(root)
	return root
}

func addIdentityFlags(fs *pflag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.username, "username", "me", "the owner's username (set once, at first run)")
	fs.StringVar(&cfg.url, "url", "http://localhost:8080", "public base URL, e.g. https://social.example.org (set once, at first run)")
}

// runServe sets up on first run, then serves until SIGINT or SIGTERM.
func runServe(ctx context.Context, cfg *config, fs *pflag.FlagSet, stdout, stderr io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	// Bind before touching the data directory, so that a port in use
	// leaves nothing half made.
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.listen, unwrapNetErr(err))
	}
	defer ln.Close()
	var pprofLn net.Listener
	if cfg.pprof != "" {
		if pprofLn, err = net.Listen("tcp", cfg.pprof); err != nil {
			return fmt.Errorf("cannot listen on %s for pprof: %w", cfg.pprof, unwrapNetErr(err))
		}
		defer pprofLn.Close()
	}
	setMemoryLimit(cfg.memoryLimit)

	st, inst, err := openOrSetUp(ctx, cfg, fs, stdout, nil)
	if err != nil {
		return err
	}
	defer st.Close()

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if pprofLn != nil {
		log.Info("serving pprof profiles", "addr", pprofLn.Addr().String())
		go servePprof(pprofLn, log)
	}
	if cfg.insecure {
		log.Warn("insecure federation: plain http and private addresses are allowed; use only for local tests")
	}
	hub := handlers.NewHub()
	fed, err := inst.federation(ctx, st, cfg.insecure, hub, log)
	if err != nil {
		return err
	}
	srv, err := handlers.New(ctx, handlers.Config{BaseURL: inst.baseURL, Version: version, MediaDir: filepath.Join(cfg.dataDir, "media"), Streaming: hub,
		PruneAfter: time.Duration(cfg.pruneAfter) * 24 * time.Hour}, st, fed, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Roost %s is serving %s on http://%s\n", version, inst.baseURL, ln.Addr())
	// Setting up (migrations, templates, keys) leaves a few MB of garbage
	// that the collector would otherwise keep until the heap grows again:
	// hand it back now, so an idle server holds only what it uses.
	debug.FreeOSMemory()

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(hub.Close) // Shutdown neither closes WebSockets nor ends event streams
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	workers, stopWorkers := context.WithCancel(context.Background())
	fedDone := make(chan error, 2)
	go func() { fedDone <- fed.Run(workers) }()
	go func() { fedDone <- srv.Run(workers) }()
	select {
	case err := <-errc:
		stopWorkers()
		<-fedDone
		<-fedDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	// Stop the workers after the last request: queued work stays in the
	// database for the next start.
	stopWorkers()
	<-fedDone
	<-fedDone
	return nil
}

// unwrapNetErr drops the "listen tcp …:" prefix the net package adds.
func unwrapNetErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			return sys.Err
		}
		return op.Err
	}
	return err
}
