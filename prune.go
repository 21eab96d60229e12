package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"roost/store"
)

// pruneProgressEvery is how many rows pass between progress lines when
// standard error is not a terminal.
const pruneProgressEvery = 5000

func newPruneCmd(cfg *config, stdout, stderr io.Writer) *cobra.Command {
	var days int
	var dryRun, vacuum bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove old remote posts and accounts you never interacted with, safe while Roost runs",
		Long: "Remove remote posts, boosts and accounts older than --older-than days that you never\n" +
			"interacted with: no reply, boost, favourite, bookmark, vote, mention, notification or\n" +
			"thread of yours, and no follow, block, mute or list. `roost serve` does this once a day\n" +
			"(--prune-after). Freed space is reused by the database; --vacuum also gives it back\n" +
			"to the file system (it holds up a running server's writes while it works).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if days < 1 {
				return fmt.Errorf("--older-than %d is not a number of days; give 1 or more", days)
			}
			if dryRun && vacuum {
				return fmt.Errorf("--dry-run and --vacuum cannot be combined")
			}
			return runPrune(cmd.Context(), cfg, days, dryRun, vacuum, stdout, stderr)
		},
	}
	cmd.Flags().IntVar(&days, "older-than", 30, "remove what is older than this many days")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only count what would be removed")
	cmd.Flags().BoolVar(&vacuum, "vacuum", false, "then rebuild the database file to return the freed space")
	return cmd
}

// runPrune prunes the data directory and reports the counts.
func runPrune(ctx context.Context, cfg *config, days int, dryRun, vacuum bool, stdout, stderr io.Writer) error {
	st, _, err := openData(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	path := filepath.Join(cfg.dataDir, dbName)
	sizeBefore := dbSize(path)
	opts := store.PruneOptions{Before: time.Now().Add(-time.Duration(days) * 24 * time.Hour), DryRun: dryRun}
	if !dryRun {
		opts.Progress = newProgressBar(stderr).update
	}
	res, err := st.Prune(ctx, opts)
	if err != nil {
		return err
	}
	verb := "Removed"
	if dryRun {
		verb = "Would remove"
	}
	fmt.Fprintf(stdout, "%s %d remote statuses (with %d media attachments) and %d remote accounts older than %d days,\n",
		verb, res.Statuses, res.Media, res.Accounts, days)
	fmt.Fprintf(stdout, "and %d seen activity ids, %d tombstones and %d cached link previews.\n", res.SeenActivities, res.Tombstones, res.LinkCards)
	if dryRun {
		return nil
	}
	if vacuum {
		if err := st.Vacuum(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Database: %s before, %s after.\n", humanBytes(sizeBefore), humanBytes(dbSize(path)))
		return nil
	}
	if err := st.Checkpoint(ctx); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	fmt.Fprintf(stdout, "Database: %s; the freed space is reused (--vacuum gives it back to the file system).\n", humanBytes(dbSize(path)))
	return nil
}

// dbSize is the size of the database file with its WAL.
func dbSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
}

// progressBar shows pruning progress: a bar redrawn in place on a
// terminal, else a line every pruneProgressEvery rows.
type progressBar struct {
	w    io.Writer
	tty  bool
	last int
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progressBar) update(done, total int) {
	if total == 0 {
		return
	}
	if p.tty {
		const width = 30
		fill := width * done / total
		fmt.Fprintf(p.w, "\rPruning [%s%s] %d/%d", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, total)
		if done == total {
			fmt.Fprintln(p.w)
		}
		return
	}
	if done-p.last >= pruneProgressEvery || done == total && total > pruneProgressEvery {
		fmt.Fprintf(p.w, "%d/%d pruned…\n", done, total)
		p.last = done
	}
}
