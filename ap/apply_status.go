package ap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"roost/store"
)

// handleCreate stores a status when it matters to the owner: its author is
// followed, or it mentions the owner or answers one of the owner's
// statuses. A Note naming an option of the owner's poll is a vote.
func (f *Federation) handleCreate(ctx context.Context, signer *store.Account, act *Object) error {
	// One object per Create, as every server sends (GoToSocial's poll
	// votes aside): a Create carrying hundreds would make us fetch for each.
	objects := act.Object
	if len(objects) > 1 && !isVoteRef(objects[0]) {
		objects = objects[:1]
	}
	if len(objects) > maxVotesPerCreate {
		objects = objects[:maxVotesPerCreate]
	}
	for _, ref := range objects {
		o, err := f.objectOwnedBy(ctx, signer, ref)
		if err != nil {
			return err
		}
		if authorOf(o) != signer.URI || hostOf(o.ID) != hostOf(signer.URI) {
			return permanent(fmt.Errorf("%w: %s creates %s attributed to %s", ErrActorMismatch, signer.URI, o.ID, authorOf(o)))
		}
		if !statusTypes[o.Type] {
			continue
		}
		if err := f.createStatus(ctx, signer, o); err != nil {
			return err
		}
	}
	return nil
}

func (f *Federation) createStatus(ctx context.Context, author *store.Account, o *Object) error {
	if gone, err := f.st.IsTombstone(ctx, o.ID); err != nil || gone {
		return err
	}
	if _, err := f.st.GetStatusByURI(ctx, o.ID); err == nil {
		return nil // already here (fetched as a parent, say)
	}
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	if isVote(o) {
		return f.recordVote(ctx, owner, author, o)
	}
	if blocked, err := f.st.Blocks(ctx, owner.ID, author.ID); err != nil || blocked {
		return err
	}
	// Decide from the object itself whether it matters to the owner
	// before fetching anything it points to (parents, mentioned
	// accounts): an unsolicited post must not make us fetch.
	relevant, err := f.relevantToOwner(ctx, owner, author, o)
	if err != nil || !relevant {
		return err
	}
	st, parts, err := f.statusFromObject(ctx, author, o, 0)
	if err != nil {
		return err
	}
	mentionsOwner := contains64(parts.Mentions, owner.ID) || o.To.Contains(owner.URI) || o.CC.Contains(owner.URI)
	repliesToOwner := st.InReplyToAccountID != nil && *st.InReplyToAccountID == owner.ID
	if st.Visibility == store.Direct && !mentionsOwner {
		return nil // a direct message to someone else
	}
	if mentionsOwner && !contains64(parts.Mentions, owner.ID) {
		parts.Mentions = append(parts.Mentions, owner.ID)
	}
	muted, err := f.st.ConversationMuted(ctx, store.ConversationKey(st))
	if err != nil {
		return err
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		if err := f.insertStatus(ctx, tx, st, parts); err != nil {
			return err
		}
		if (mentionsOwner || repliesToOwner) && !muted {
			_, err := f.notify(tx, &store.Notification{Type: store.NotifyMention, FromAccountID: author.ID, StatusID: &st.ID})
			return err
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return nil // a concurrent fetch stored it first
	}
	return err
}

// mayVote reports whether voter may vote on the owner's poll st: not when
// blocked, and only followers on a followers-only poll, only the
// mentioned on a direct one.
func (f *Federation) mayVote(ctx context.Context, owner, voter *store.Account, st *store.Status) (bool, error) {
	if blocked, err := f.st.Blocks(ctx, owner.ID, voter.ID); err != nil || blocked {
		return false, err
	}
	switch st.Visibility {
	case store.Private:
		return f.st.Follows(ctx, voter.ID, owner.ID)
	case store.Direct:
		parts, err := f.st.GetStatusParts(ctx, st.ID)
		if err != nil {
			return false, err
		}
		return contains64(parts.Mentions, voter.ID), nil
	}
	return true, nil
}

// maxVotesPerCreate bounds the poll votes one Create may carry.
const maxVotesPerCreate = 16

// isVoteRef reports whether an embedded object is a poll vote.
func isVoteRef(r Ref) bool { return r.Obj != nil && isVote(r.Obj) }

// relevantToOwner is the cheap test, on the object alone, of whether a
// status is one the owner asked for: its author is followed, it mentions
// or addresses the owner, it answers one of the owner's statuses, or it
// is public and carries a hashtag the owner follows.
func (f *Federation) relevantToOwner(ctx context.Context, owner, author *store.Account, o *Object) (bool, error) {
	if o.To.Contains(owner.URI) || o.CC.Contains(owner.URI) || hostOf(o.InReplyTo.ID) == f.cfg.URLs.Host() {
		return true, nil
	}
	var tags []string
	for i := range o.Tag {
		switch t := &o.Tag[i]; t.Type {
		case "Mention":
			if firstNonEmpty(t.Href, t.ID) == owner.URI {
				return true, nil
			}
		case "Hashtag":
			tags = append(tags, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t.Name), "#")))
		}
	}
	if follows, err := f.st.Follows(ctx, owner.ID, author.ID); err != nil || follows {
		return follows, err
	}
	if visibilityOf(o, author.FollowersURL) != store.Public || len(tags) == 0 {
		return false, nil
	}
	return f.st.FollowsAnyTag(ctx, tags)
}

func contains64(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// isVote tells a poll vote (a Note with a name, answering a Question, with
// no content) from a reply.
func isVote(o *Object) bool {
	return o.Type == "Note" && o.Name != "" && o.Content == "" && o.InReplyTo.ID != ""
}

// recordVote counts a vote on one of the owner's polls.
func (f *Federation) recordVote(ctx context.Context, owner, voter *store.Account, o *Object) error {
	st, err := f.st.GetStatusByURI(ctx, o.InReplyTo.ID)
	if err != nil || st.AccountID != owner.ID {
		return permanent(fmt.Errorf("vote on unknown poll %s", o.InReplyTo.ID))
	}
	poll, err := f.st.GetPoll(ctx, st.ID)
	if err != nil {
		return permanent(fmt.Errorf("vote on a status without a poll: %w", err))
	}
	if poll.Closed || (poll.ExpiresAt != nil && f.now().After(*poll.ExpiresAt)) {
		return permanent(errors.New("vote on a closed poll"))
	}
	if ok, err := f.mayVote(ctx, owner, voter, st); err != nil || !ok {
		if err == nil {
			err = permanent(errors.New("vote by someone who may not see the poll"))
		}
		return err
	}
	choice := -1
	for i, opt := range poll.Options {
		if opt.Title == o.Name {
			choice = i
		}
	}
	if choice < 0 {
		return permanent(fmt.Errorf("vote for %q, not an option", o.Name))
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertPollVote(st.ID, voter.ID, choice, o.ID, poll.Multiple)
		return err
	})
}

// handleUpdate applies an edit of a status or a profile change; only the
// author may do either.
func (f *Federation) handleUpdate(ctx context.Context, signer *store.Account, act *Object) error {
	ref := act.Object.First()
	id := ref.ID
	if id == signer.URI {
		// Refetch rather than trust the embedded copy: the profile then
		// comes from its origin, signed or not.
		_, err := f.Actor(ctx, signer.URI, true)
		return err
	}
	st, err := f.st.GetStatusByURI(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // an edit of something we never stored
	} else if err != nil {
		return err
	}
	if st.AccountID != signer.ID {
		return permanent(fmt.Errorf("%w: %s edits %s", ErrActorMismatch, signer.URI, id))
	}
	o, err := f.objectOwnedBy(ctx, signer, ref)
	if err != nil {
		return err
	}
	if o.ID != st.URI || authorOf(o) != signer.URI {
		return permanent(ErrActorMismatch)
	}
	edited, parts, err := f.statusFromObject(ctx, signer, o, maxAncestors) // no new parent fetches
	if err != nil {
		return err
	}
	edited.ID = st.ID
	pollEnded, err := f.pollEndsForVoter(ctx, st, parts.Poll)
	if err != nil {
		return err
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if pollEnded {
			// The owner voted: tell them the results are in, as
			// Mastodon tells its voters.
			if _, err := f.notify(tx, &store.Notification{Type: store.NotifyPoll, FromAccountID: signer.ID, StatusID: &st.ID}); err != nil {
				return err
			}
		}
		if o.Type == "Question" && o.Updated == nil {
			// Mastodon: an Update of a Question without "updated" only
			// refreshes the counts.
			return tx.UpdatePollCounts(st.ID, parts.Poll)
		}
		if o.Updated == nil || (st.EditedAt != nil && !o.Updated.After(*st.EditedAt)) {
			return nil // Mastodon applies edits only with a newer "updated"
		}
		edited.EditedAt = o.Updated
		if err := f.editStatus(ctx, tx, edited, parts); err != nil {
			return err
		}
		return f.notifyBoosters(ctx, tx, signer, st)
	})
}

// pollEndsForVoter reports whether an update closes a poll, open until
// now, in which the owner voted.
func (f *Federation) pollEndsForVoter(ctx context.Context, st *store.Status, p *store.Poll) (bool, error) {
	if p == nil || !p.Closed {
		return false, nil
	}
	old, err := f.st.GetPoll(ctx, st.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && old.Closed) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	owner, err := f.owner(ctx)
	if err != nil {
		return false, err
	}
	votes, err := f.st.PollVotes(ctx, st.ID, owner.ID)
	return len(votes) > 0, err
}

// notifyBoosters tells the owner that a status it boosted was edited.
func (f *Federation) notifyBoosters(ctx context.Context, tx *store.Tx, author *store.Account, st *store.Status) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	boosted, err := f.st.HasBoosted(ctx, owner.ID, st.ID)
	if err != nil || !boosted {
		return err
	}
	_, err = f.notify(tx, &store.Notification{Type: store.NotifyUpdate, FromAccountID: author.ID, StatusID: &st.ID})
	return err
}

// handleDelete removes a status, or everything of an actor that deleted
// itself. Only the author may delete.
func (f *Federation) handleDelete(ctx context.Context, signer *store.Account, act *Object) error {
	id := act.Object.First().ID
	if id == signer.URI {
		return f.st.Update(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(signer) })
	}
	st, err := f.st.GetStatusByURI(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Remember it as deleted only when the id is the signer's own
		// (under its actor id), so that one account cannot bury another's
		// posts on the same server before we see them.
		if strings.HasPrefix(id, signer.URI+"/") {
			return f.st.Update(ctx, func(tx *store.Tx) error { return tx.AddTombstone(id) })
		}
		return nil
	} else if err != nil {
		return err
	}
	if st.AccountID != signer.ID {
		return permanent(fmt.Errorf("%w: %s deletes %s", ErrActorMismatch, signer.URI, id))
	}
	return f.st.Update(ctx, func(tx *store.Tx) error { return f.deleteStatus(tx, st) })
}

// handleAnnounce stores a boost: of the owner's status (a notification),
// or by someone the owner follows (on the home timeline).
func (f *Federation) handleAnnounce(ctx context.Context, signer *store.Account, act *Object) error {
	ref := act.Object.First()
	id := ref.ID
	if o := ref.Obj; o != nil && o.Type == "Create" {
		// Lemmy communities announce the Create, not the post: boost the
		// post, fetched from its origin like any other.
		id = o.Object.First().ID
	}
	if id == "" {
		return permanent(errors.New("announce without object"))
	}
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	var orig *store.Status
	if hostOf(id) == f.cfg.URLs.Host() {
		if orig, err = f.st.GetStatusByURI(ctx, id); err != nil {
			return permanent(fmt.Errorf("boost of unknown status %s", id))
		}
		if orig.Visibility != store.Public && orig.Visibility != store.Unlisted {
			return permanent(errors.New("boost of a private status"))
		}
	} else {
		follows, err := f.st.Follows(ctx, owner.ID, signer.ID)
		if err != nil || !follows {
			return err
		}
		// The boosted status comes from its origin, never from the
		// embedded copy (FEDERATION.md §5.4).
		if orig, err = f.resolveStatus(ctx, id, 0); err != nil {
			return err
		}
		if orig.Visibility != store.Public && orig.Visibility != store.Unlisted {
			// Only public statuses can be boosted (Mastodon's
			// distributable?): a boost must not republish a private one.
			return permanent(errors.New("boost of a private status"))
		}
	}
	boost := &store.Status{
		URI:         act.ID,
		ActivityURI: act.ID,
		AccountID:   signer.ID,
		ReblogOfID:  &orig.ID,
		Visibility:  visibilityOf(act, signer.FollowersURL),
		CreatedAt:   f.now(),
	}
	if act.Published != nil && act.Published.Before(f.now()) {
		boost.CreatedAt = *act.Published
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		if err := f.insertStatus(ctx, tx, boost, nil); err != nil {
			return err
		}
		return f.notifyAboutOwnStatus(ctx, tx, store.NotifyReblog, signer, orig)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}
