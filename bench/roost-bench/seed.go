package main

import (
	"context"
	"fmt"
	"time"

	"roost/store"
)

const batch = 1000 // rows per seeding transaction

// seedAccounts inserts remote accounts made by mk(i), i < n, and follows
// between them and the owner: the owner follows them (following) or they
// follow the owner. The server must not be running.
func seedAccounts(ctx context.Context, st *store.Store, n int, following bool, mk func(i int) *store.Account) ([]*store.Account, error) {
	owner, err := st.GetOwner(ctx)
	if err != nil {
		return nil, err
	}
	accts := make([]*store.Account, n)
	for i := range accts {
		a := mk(i)
		if err := st.InsertAccount(ctx, a); err != nil {
			return nil, fmt.Errorf("seed account %d: %w", i, err)
		}
		accts[i] = a
	}
	for done := 0; done < n; {
		err := st.Update(ctx, func(tx *store.Tx) error {
			for j := 0; j < batch && done < n; j, done = j+1, done+1 {
				f := &store.Follow{AccountID: owner.Account.ID, TargetAccountID: accts[done].ID, ShowReblogs: true,
					URI: fmt.Sprintf("%s/follows/%d", owner.Account.URI, done)}
				if !following {
					f = &store.Follow{AccountID: accts[done].ID, TargetAccountID: owner.Account.ID, ShowReblogs: true,
						URI: accts[done].URI + "/follows/owner"}
				}
				if err := tx.InsertFollow(f); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed follows: %w", err)
		}
	}
	return accts, nil
}

// seedStatuses writes n public statuses by 50 followed remote accounts,
// one a minute back from now, in 1000-row transactions.
func seedStatuses(ctx context.Context, st *store.Store, n int) error {
	const authors = 50
	accts, err := seedAccounts(ctx, st, authors, true, func(i int) *store.Account {
		d := fmt.Sprintf("r%d.example", i)
		u := "https://" + d + "/users/u"
		return &store.Account{URI: u, Username: "u", Domain: d, Inbox: u + "/inbox", SharedInbox: "https://" + d + "/inbox",
			FollowersURL: u + "/followers", FetchedAt: time.Now()}
	})
	if err != nil {
		return err
	}
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	for done := 0; done < n; {
		err := st.Update(ctx, func(tx *store.Tx) error {
			for j := 0; j < batch && done < n; j, done = j+1, done+1 {
				a := accts[done%authors]
				s := &store.Status{URI: fmt.Sprintf("%s/statuses/%d", a.URI, done), AccountID: a.ID, Visibility: store.Public,
					Content:   "<p>a status of ordinary length, with a <a href=\"https://example.org\">link</a> in it</p>",
					CreatedAt: start.Add(time.Duration(done) * time.Minute)}
				s.URL = s.URI
				if err := tx.InsertStatus(s, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed statuses: %w", err)
		}
	}
	return nil
}
