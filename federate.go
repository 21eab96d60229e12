package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// runFollow makes the owner follow handle from the command line: it
// resolves the account, queues the Follow and sends it at once. A running
// server receives the answer.
func runFollow(ctx context.Context, cfg *config, handle string, stdout, stderr io.Writer) error {
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
	target, err := fed.ResolveHandle(ctx, handle)
	if err != nil {
		return fmt.Errorf("cannot find %s: %w", handle, err)
	}
	if err := fed.Follow(ctx, target); err != nil {
		return fmt.Errorf("cannot follow %s: %w", handle, err)
	}
	if _, err := fed.ProcessDeliveries(ctx); err != nil {
		return err
	}
	left, err := st.CountDeliveries(ctx)
	if err != nil {
		return err
	}
	name := "@" + target.Username + "@" + target.Domain
	if left > 0 {
		fmt.Fprintf(stdout, "The follow request to %s is queued; `roost serve` will keep trying to deliver it.\n", name)
		return nil
	}
	fmt.Fprintf(stdout, "Sent a follow request to %s; it counts once they accept.\n", name)
	return nil
}
