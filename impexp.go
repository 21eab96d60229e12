package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"roost/ap"
	"roost/store"
)

// Import and export use Mastodon's CSV files (Settings → Import and
// export), so that an account moves between Mastodon and Roost either way:
//
//	following      following_accounts.csv  "Account address,Show boosts,Notify on new posts,Languages"
//	followers      (Roost only)            "Account address"
//	blocks         blocked_accounts.csv    one address per line, no header
//	mutes          muted_accounts.csv      "Account address,Hide notifications"
//	domain_blocks  blocked_domains.csv     one domain per line, no header
//	bookmarks      bookmarks.csv           one status id (URI) per line, no header
//	lists          lists.csv               "List name,Account address" rows, no header
var (
	exportKinds = []string{"following", "followers", "blocks", "mutes", "domain_blocks", "bookmarks", "lists"}
	importKinds = []string{"following", "blocks", "mutes", "domain_blocks", "bookmarks", "lists"}
)

// progressEvery is how many rows an import handles between progress
// lines, which are also at most one a second; files of up to this many
// rows show none.
const progressEvery = 25

func newExportCmd(cfg *config, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "export KIND [FILE]",
		Short: "Write the owner's " + strings.Join(exportKinds, ", ") + " as Mastodon's CSV (to FILE or standard output)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 2 {
				file = args[1]
			}
			return runExport(cmd.Context(), cfg, args[0], file, stdout)
		},
	}
}

func newImportCmd(cfg *config, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import KIND FILE",
		Short: "Add " + strings.Join(importKinds, ", ") + " from Mastodon's CSV; follows and blocks are sent to their servers",
		Long:  "Add the accounts, domains or bookmarks in a CSV file exported from Mastodon (or by\n`roost export`) to what the owner has. Nothing is removed. A line that cannot be\nimported is reported and the rest go on. Follow and Block activities are sent at the\nend; a running `roost serve` retries those that could not be delivered.",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), cfg, args[0], args[1], stdout, stderr)
		},
	}
	cmd.Flags().BoolVar(&cfg.insecure, "insecure-federation", false, "federate over plain http and with private addresses (local tests only)")
	return cmd
}

// runExport writes one kind of export.
func runExport(ctx context.Context, cfg *config, kind, file string, stdout io.Writer) (err error) {
	if !contains(exportKinds, kind) {
		return fmt.Errorf("cannot export %q: choose one of %s", kind, strings.Join(exportKinds, ", "))
	}
	st, inst, err := openData(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := exportRecords(ctx, st, inst, kind)
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	out := stdout
	if file != "" {
		f, err := os.Create(file)
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", file, err)
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("cannot write %s: %w", file, cerr)
			}
		}()
		out = f
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(rows); err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	return nil
}

// exportRecords is the CSV of one kind, header included where Mastodon
// writes one.
func exportRecords(ctx context.Context, st *store.Store, inst *instance, kind string) ([][]string, error) {
	owner, err := st.GetOwner(ctx)
	if err != nil {
		return nil, err
	}
	host := hostOfURL(inst.baseURL)
	addr := func(r store.ExportRow) string {
		if r.Domain == "" {
			return r.Username + "@" + host
		}
		return r.Username + "@" + r.Domain
	}
	var out [][]string
	var rows []store.ExportRow
	switch kind {
	case "following":
		if rows, err = st.ExportFollowing(ctx, owner.Account.ID); err != nil {
			return nil, err
		}
		out = append(out, []string{"Account address", "Show boosts", "Notify on new posts", "Languages"})
		for _, r := range rows {
			out = append(out, []string{addr(r), fmt.Sprint(r.ShowReblogs), fmt.Sprint(r.Notify), ""})
		}
	case "followers", "blocks":
		if kind == "followers" {
			rows, err = st.ExportFollowers(ctx, owner.Account.ID)
			out = append(out, []string{"Account address"})
		} else {
			rows, err = st.ExportBlocked(ctx, owner.Account.ID)
		}
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, []string{addr(r)})
		}
	case "mutes":
		if rows, err = st.ExportMuted(ctx); err != nil {
			return nil, err
		}
		out = append(out, []string{"Account address", "Hide notifications"})
		for _, r := range rows {
			out = append(out, []string{addr(r), fmt.Sprint(r.Notifications)})
		}
	case "lists":
		if rows, err = st.ExportListMembers(ctx); err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, []string{r.List, addr(r)})
		}
	case "domain_blocks", "bookmarks":
		var list []string
		if kind == "domain_blocks" {
			list, err = st.ExportDomainBlocks(ctx)
		} else {
			list, err = st.ExportBookmarks(ctx)
		}
		if err != nil {
			return nil, err
		}
		for _, v := range list {
			out = append(out, []string{v})
		}
	}
	return out, nil
}

func hostOfURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// importer adds the rows of one file to the owner's data.
type importer struct {
	st    *store.Store
	fed   *ap.Federation
	owner *store.Account
	host  string
	lists map[string]int64 // list ids by title, for lists imports
}

// errAlready marks a row whose account or domain the owner already has:
// counted, not reported.
var errAlready = errors.New("already there")

// runImport imports one file, reporting failed lines on stderr and going
// on, then sends what it queued.
func runImport(ctx context.Context, cfg *config, kind, file string, stdout, stderr io.Writer) error {
	if !contains(importKinds, kind) {
		return fmt.Errorf("cannot import %q: choose one of %s", kind, strings.Join(importKinds, ", "))
	}
	records, err := readCSV(file)
	if err != nil {
		return err
	}
	st, inst, err := openData(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fed, err := inst.federation(ctx, st, cfg.insecure, nil, log)
	if err != nil {
		return err
	}
	owner, err := st.GetOwner(ctx)
	if err != nil {
		return err
	}
	imp := &importer{st: st, fed: fed, owner: owner.Account, host: hostOfURL(inst.baseURL)}
	records = dropHeader(records)
	added, already, failed := imp.run(ctx, kind, records, stderr)
	if _, err := fed.ProcessDeliveries(ctx); err != nil {
		return err
	}
	left, err := st.CountDeliveries(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Imported %d of %d %s (%d already there, %d failed).\n", added, len(records), strings.ReplaceAll(kind, "_", " "), already, failed)
	if left > 0 {
		fmt.Fprintf(stdout, "%d deliveries are queued; `roost serve` will keep trying to send them.\n", left)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lines could not be imported (see above)", failed, len(records))
	}
	return nil
}

// run applies each record, printing failures and progress to stderr.
func (imp *importer) run(ctx context.Context, kind string, records [][]string, stderr io.Writer) (added, already, failed int) {
	last := time.Now()
	for i, rec := range records {
		err := imp.row(ctx, kind, rec)
		switch {
		case errors.Is(err, errAlready):
			already++
		case err != nil:
			failed++
			fmt.Fprintf(stderr, "%s: %s\n", strings.Join(rec, ","), sentence(err))
		default:
			added++
		}
		done := i + 1
		if len(records) > progressEvery && (done == len(records) || done%progressEvery == 0 && time.Since(last) >= time.Second) {
			fmt.Fprintf(stderr, "%d/%d imported…\n", done, len(records))
			last = time.Now()
		}
	}
	return added, already, failed
}

// row imports one record of kind.
func (imp *importer) row(ctx context.Context, kind string, rec []string) error {
	col := func(i int) string {
		if i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	// Each line may look up an account or status over the network.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch kind {
	case "following":
		return imp.follow(ctx, col(0), boolCol(col(1), true), boolCol(col(2), false))
	case "blocks":
		return imp.block(ctx, col(0))
	case "mutes":
		return imp.mute(ctx, col(0), boolCol(col(1), true))
	case "domain_blocks":
		return imp.blockDomain(ctx, col(0))
	case "bookmarks":
		return imp.bookmark(ctx, col(0))
	case "lists":
		return imp.addToList(ctx, col(0), col(1))
	}
	return fmt.Errorf("unknown kind %s", kind)
}

// boolCol reads Mastodon's "true"/"false" columns; empty means def.
func boolCol(v string, def bool) bool {
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true
	case "false", "0", "no":
		return false
	}
	return def
}

// account finds the account an address names: one Roost knows, or one
// found now by WebFinger.
func (imp *importer) account(ctx context.Context, address string) (*store.Account, error) {
	h := strings.TrimPrefix(strings.TrimSpace(address), "@")
	user, host, ok := strings.Cut(h, "@")
	if !ok || user == "" || host == "" {
		return nil, fmt.Errorf("%q is not a user@host address", address)
	}
	if strings.EqualFold(host, imp.host) {
		return nil, errors.New("that is this server's own account")
	}
	if a, err := imp.st.GetAccountByHandle(ctx, user, host); err == nil {
		return a, nil
	}
	a, err := imp.fed.ResolveHandle(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("cannot find %s: %w", h, err)
	}
	return a, nil
}

func (imp *importer) follow(ctx context.Context, address string, showReblogs, notify bool) error {
	a, err := imp.account(ctx, address)
	if err != nil {
		return err
	}
	if _, err := imp.st.GetFollow(ctx, imp.owner.ID, a.ID); err == nil {
		return errAlready
	}
	if err := imp.fed.Follow(ctx, a); err != nil {
		return err
	}
	return imp.st.SetFollowOptions(ctx, imp.owner.ID, a.ID, showReblogs, notify)
}

func (imp *importer) block(ctx context.Context, address string) error {
	a, err := imp.account(ctx, address)
	if err != nil {
		return err
	}
	if blocked, err := imp.st.Blocks(ctx, imp.owner.ID, a.ID); err != nil {
		return err
	} else if blocked {
		return errAlready
	}
	return imp.fed.Block(ctx, a)
}

func (imp *importer) mute(ctx context.Context, address string, hideNotifications bool) error {
	a, err := imp.account(ctx, address)
	if err != nil {
		return err
	}
	if muted, err := imp.st.Muted(ctx, a.ID); err != nil {
		return err
	} else if muted {
		return errAlready
	}
	return imp.st.SetMute(ctx, a.ID, &store.Mute{TargetAccountID: a.ID, Notifications: hideNotifications})
}

func (imp *importer) blockDomain(ctx context.Context, domain string) error {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" || strings.ContainsAny(domain, " /@:?#") || !strings.Contains(domain, ".") {
		return fmt.Errorf("%q is not a domain", domain)
	}
	if blocked, err := imp.st.DomainBlocked(ctx, domain); err != nil {
		return err
	} else if blocked {
		return errAlready
	}
	// As Mastodon does: follows with the domain end too.
	_, err := imp.st.BlockDomainAndSever(ctx, imp.owner.ID, domain)
	return err
}

func (imp *importer) bookmark(ctx context.Context, u string) error {
	st, err := imp.st.GetStatusByURI(ctx, u)
	if err != nil {
		st, err = imp.st.GetStatusByURL(ctx, u)
	}
	if err != nil {
		if st, _, err = imp.fed.Resolve(ctx, u); err != nil {
			return fmt.Errorf("cannot fetch %s: %w", u, err)
		}
		if st == nil {
			return fmt.Errorf("%s is not a post", u)
		}
	}
	if on, err := imp.st.IsBookmarked(ctx, st.ID); err != nil {
		return err
	} else if on {
		return errAlready
	}
	return imp.st.SetBookmark(ctx, st.ID, true)
}

// addToList adds an account to the list with title, making the list when
// there is none and following the account first when the owner does not,
// as Mastodon's import does (lists hold followed accounts).
func (imp *importer) addToList(ctx context.Context, title, address string) error {
	if title == "" {
		return errors.New("the list name is empty")
	}
	a, err := imp.account(ctx, address)
	if err != nil {
		return err
	}
	if _, err := imp.st.GetFollow(ctx, imp.owner.ID, a.ID); errors.Is(err, store.ErrNotFound) {
		if err := imp.fed.Follow(ctx, a); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	id, err := imp.listID(ctx, title)
	if err != nil {
		return err
	}
	return imp.st.AddListAccounts(ctx, id, []int64{a.ID})
}

// listID finds the owner's list with title, or makes it.
func (imp *importer) listID(ctx context.Context, title string) (int64, error) {
	if imp.lists == nil {
		lists, err := imp.st.ListLists(ctx)
		if err != nil {
			return 0, err
		}
		imp.lists = map[string]int64{}
		for _, l := range lists {
			if _, ok := imp.lists[l.Title]; !ok {
				imp.lists[l.Title] = l.ID
			}
		}
	}
	if id, ok := imp.lists[title]; ok {
		return id, nil
	}
	l := &store.List{Title: title, RepliesPolicy: store.RepliesList}
	if err := imp.st.InsertList(ctx, l); err != nil {
		return 0, err
	}
	imp.lists[title] = l.ID
	return l.ID, nil
}

// readCSV reads every record of file, skipping blank lines; rows may have
// any number of columns.
func readCSV(file string) ([][]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", file, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.LazyQuotes = true
	var out [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s is not a CSV file: %w", file, err)
		}
		if len(rec) == 0 || len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a byte order mark from spreadsheets
		out = append(out, rec)
	}
}

// dropHeader removes Mastodon's header row, which names the columns
// ("Account address", "List name"…) where a value would be.
func dropHeader(records [][]string) [][]string {
	if len(records) == 0 {
		return records
	}
	switch strings.ToLower(strings.TrimSpace(records[0][0])) {
	case "account address", "list name", "#domain", "domain", "uri":
		return records[1:]
	}
	return records
}
