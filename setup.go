package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"roost/ap"
	"roost/handlers"
	"roost/store"
)

const dbName = "roost.db"

// instance is what a data directory was set up as.
type instance struct {
	baseURL  string
	username string
}

// openOrSetUp opens the data directory, setting it up with a new owner on
// first run. An existing directory keeps its URL and username: asking for
// others is refused, since every object's id depends on them. ask, when not
// nil, fills missing answers interactively.
func openOrSetUp(ctx context.Context, cfg *config, fs *pflag.FlagSet, stdout io.Writer, ask *prompter) (*store.Store, *instance, error) {
	path := filepath.Join(cfg.dataDir, dbName)
	if _, err := os.Stat(path); err == nil {
		st, inst, err := openExisting(ctx, path)
		if err != nil {
			return nil, nil, err
		}
		if err := checkIdentity(cfg, fs, inst); err != nil {
			st.Close()
			return nil, nil, err
		}
		return st, inst, nil
	}
	if ask != nil {
		if err := ask.identity(cfg, fs); err != nil {
			return nil, nil, err
		}
		if err := cfg.validate(); err != nil {
			return nil, nil, err
		}
	}
	return setUp(ctx, cfg, stdout, ask)
}

// openData opens the existing data directory of cfg, for the commands that
// need one.
func openData(ctx context.Context, cfg *config) (*store.Store, *instance, error) {
	path := filepath.Join(cfg.dataDir, dbName)
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("there is no Roost data in %s; run `roost serve` or `roost init` first", cfg.dataDir)
	}
	return openExisting(ctx, path)
}

// federation builds the federation layer for inst.
func (inst *instance) federation(ctx context.Context, st *store.Store, insecure bool, events ap.Events, log *slog.Logger) (*ap.Federation, error) {
	return ap.New(ctx, ap.Config{
		URLs:      ap.URLs{Base: inst.baseURL, Username: inst.username},
		UserAgent: "Roost/" + version + " (+" + inst.baseURL + "/)",
		Insecure:  insecure,
		Events:    events,
	}, st, log)
}

func openExisting(ctx context.Context, path string) (*store.Store, *instance, error) {
	st, err := store.Open(ctx, store.Config{Path: path})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	base, err := st.GetSetting(ctx, store.SettingBaseURL)
	if err == nil {
		var o *store.Owner
		if o, err = st.GetOwner(ctx); err == nil {
			return st, &instance{baseURL: base, username: o.Account.Username}, nil
		}
	}
	st.Close()
	return nil, nil, fmt.Errorf("%s has no owner set up (was its first run interrupted? move it aside and start again): %w", path, err)
}

// checkIdentity refuses a --url or --username that differs from the data
// file's; when neither was asked for, the stored ones are used.
func checkIdentity(cfg *config, fs *pflag.FlagSet, inst *instance) error {
	if given(fs, "url") && !strings.EqualFold(cfg.url, inst.baseURL) {
		return fmt.Errorf("the data in %s belongs to %s and cannot move to %s: every post, follow and key is tied to the URL it was made under, so keep --url %s (or start a new data directory)",
			cfg.dataDir, inst.baseURL, cfg.url, inst.baseURL)
	}
	if given(fs, "username") && !strings.EqualFold(cfg.username, inst.username) {
		return fmt.Errorf("the data in %s belongs to @%s and the username cannot change to %q", cfg.dataDir, inst.username, cfg.username)
	}
	cfg.url, cfg.username = inst.baseURL, inst.username
	return nil
}

// given reports whether a flag was set on the command line or by its
// ROOST_* variable.
func given(fs *pflag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Changed
}

// setUp creates the data directory, the database and the owner. On any
// failure it removes what it made, so that no half-made directory stays.
func setUp(ctx context.Context, cfg *config, stdout io.Writer, ask *prompter) (st *store.Store, inst *instance, err error) {
	created, err := makeDataDir(cfg.dataDir)
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(cfg.dataDir, dbName)
	defer func() {
		if err == nil {
			return
		}
		if st != nil {
			st.Close()
			st = nil
		}
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suffix)
		}
		if created {
			os.Remove(cfg.dataDir)
		}
	}()
	if st, err = store.Open(ctx, store.Config{Path: path}); err != nil {
		return nil, nil, fmt.Errorf("cannot create %s: %w", path, err)
	}
	password, generated := os.Getenv("ROOST_PASSWORD"), false
	if password == "" && ask != nil {
		if password, err = ask.newPassword(); err != nil {
			return nil, nil, err
		}
	}
	if password == "" {
		password, generated = generatePassword(), true
	}
	if err = createOwner(ctx, st, cfg, password); err != nil {
		return nil, nil, err
	}
	urls := ap.URLs{Base: cfg.url, Username: cfg.username}
	fmt.Fprintf(stdout, "Set up %s for @%s.\n", path, urls.Handle())
	fmt.Fprintf(stdout, "Profile:  %s\n", urls.Profile())
	if generated {
		fmt.Fprintf(stdout, "Password: %s  (shown once; change it with `roost passwd`)\n", password)
	}
	fmt.Fprintf(stdout, "Log in:   point a Mastodon app at %s and sign in as %s with that password.\n", cfg.url, cfg.username)
	return st, &instance{baseURL: cfg.url, username: cfg.username}, nil
}

// makeDataDir creates dir if missing and checks that it is writable; it
// reports whether it created it.
func makeDataDir(dir string) (bool, error) {
	created := false
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("cannot create the data directory %s: %w", dir, errors.Unwrap(err))
		}
		created = true
	}
	probe, err := os.CreateTemp(dir, ".roost-probe-*")
	if err != nil {
		if created {
			os.Remove(dir)
		}
		return false, fmt.Errorf("the data directory %s is not writable: %w", dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return created, nil
}

func createOwner(ctx context.Context, st *store.Store, cfg *config, password string) error {
	hash, err := handlers.HashPassword(password)
	if err != nil {
		return err
	}
	if err := st.SetSetting(ctx, store.SettingBaseURL, cfg.url); err != nil {
		return err
	}
	_, err = ap.CreateOwner(ctx, st, ap.URLs{Base: cfg.url, Username: cfg.username}, nil, hash, nil)
	return err
}

// generatePassword returns 20 random characters from an alphabet without
// look-alikes.
func generatePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func runInit(ctx context.Context, cfg *config, fs *pflag.FlagSet, stdin io.Reader, stdout io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(cfg.dataDir, dbName)); err == nil {
		return fmt.Errorf("%s is already set up; use `roost serve` to run it or `roost passwd` to change the password", cfg.dataDir)
	}
	st, _, err := openOrSetUp(ctx, cfg, fs, stdout, newPrompter(stdin, stdout))
	if err != nil {
		return err
	}
	return st.Close()
}

func runPasswd(ctx context.Context, cfg *config, stdin io.Reader, stdout io.Writer) error {
	st, inst, err := openData(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	password, generated := os.Getenv("ROOST_PASSWORD"), false
	if ask := newPrompter(stdin, stdout); password == "" && ask != nil {
		if password, err = ask.newPassword(); err != nil {
			return err
		}
	}
	if password == "" {
		password, generated = generatePassword(), true
	}
	hash, err := handlers.HashPassword(password)
	if err != nil {
		return err
	}
	if err := st.SetOwnerPassword(ctx, hash); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The password of @%s is changed.\n", inst.username)
	if generated {
		fmt.Fprintf(stdout, "Password: %s  (shown once)\n", password)
	}
	return nil
}

// runBackup copies the database with VACUUM INTO: a consistent snapshot
// even while Roost is serving, compacted, without the WAL.
func runBackup(ctx context.Context, cfg *config, dest string, stdout io.Writer) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s exists already; choose a new file name", dest)
	}
	st, _, err := openData(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, dest); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s.\n", cfg.dataDir, dest)
	return nil
}

// prompter asks questions on a terminal.
type prompter struct {
	fd  int
	in  *bufio.Reader
	out io.Writer
}

// newPrompter returns a prompter when stdin is a terminal, else nil: set-up
// from scripts never waits for input.
func newPrompter(stdin io.Reader, stdout io.Writer) *prompter {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &prompter{fd: int(f.Fd()), in: bufio.NewReader(f), out: stdout}
}

func (p *prompter) line(question, def string) (string, error) {
	fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	s, err := p.in.ReadString('\n')
	if err != nil && s == "" {
		return "", fmt.Errorf("no answer to %q", question)
	}
	if s = strings.TrimSpace(s); s == "" {
		return def, nil
	}
	return s, nil
}

// identity asks for the URL and username unless they were given.
func (p *prompter) identity(cfg *config, fs *pflag.FlagSet) error {
	var err error
	if !given(fs, "url") {
		if cfg.url, err = p.line("Public URL", cfg.url); err != nil {
			return err
		}
	}
	if !given(fs, "username") {
		cfg.username, err = p.line("Username", cfg.username)
	}
	return err
}

// newPassword asks for a password twice without echo; empty means
// "generate one".
func (p *prompter) newPassword() (string, error) {
	fmt.Fprint(p.out, "New password (empty to generate one): ")
	a, err := term.ReadPassword(p.fd)
	fmt.Fprintln(p.out)
	if err != nil || len(a) == 0 {
		return "", err
	}
	fmt.Fprint(p.out, "Again: ")
	b, err := term.ReadPassword(p.fd)
	fmt.Fprintln(p.out)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", errors.New("the passwords differ")
	}
	if len(a) < 8 {
		return "", errors.New("the password is too short: use at least 8 characters")
	}
	return string(a), nil
}
