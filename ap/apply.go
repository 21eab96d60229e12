package ap

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"roost/store"
)

// apply carries out one verified activity whose actor is signer. Each
// activity type has its own handler; unknown types are ignored, as peers
// expect (FEDERATION.md §8.5).
func (f *Federation) apply(ctx context.Context, signer *store.Account, act *Object) error {
	switch act.Type {
	case "Follow":
		return f.handleFollow(ctx, signer, act)
	case "Accept":
		return f.handleAccept(ctx, signer, act)
	case "Reject":
		return f.handleReject(ctx, signer, act)
	case "Undo":
		return f.handleUndo(ctx, signer, act)
	case "Create":
		return f.handleCreate(ctx, signer, act)
	case "Update":
		return f.handleUpdate(ctx, signer, act)
	case "Delete":
		return f.handleDelete(ctx, signer, act)
	case "Announce":
		return f.handleAnnounce(ctx, signer, act)
	case "Like":
		return f.handleLike(ctx, signer, act)
	case "EmojiReact":
		return f.handleEmojiReact(ctx, signer, act)
	case "Block":
		return f.handleBlock(ctx, signer, act)
	case "Move":
		return f.handleMove(ctx, signer, act)
	case "Flag":
		return f.handleFlag(ctx, signer, act)
	}
	return nil
}

// owner returns the owner's account.
func (f *Federation) owner(ctx context.Context) (*store.Account, error) {
	o, err := f.st.GetOwner(ctx)
	if err != nil {
		return nil, err
	}
	return o.Account, nil
}

// objectOwnedBy returns the object of act, trusting an embedded copy only
// when it comes from the signer's own server; anything else is fetched
// from its origin, never taken second-hand (FEDERATION.md §4.2).
func (f *Federation) objectOwnedBy(ctx context.Context, signer *store.Account, ref Ref) (*Object, error) {
	if ref.ID == "" && ref.Obj == nil {
		return nil, permanent(errors.New("activity has no object"))
	}
	if ref.Obj != nil && ref.Obj.ID != "" && hostOf(ref.Obj.ID) == hostOf(signer.URI) {
		return ref.Obj, nil
	}
	id := ref.ID
	if id == "" {
		id = ref.Obj.ID
	}
	if id == "" {
		return nil, permanent(errors.New("embedded object without id"))
	}
	o, _, err := f.Get(ctx, id)
	return o, err
}

// authorOf is the actor id an object is attributed to.
func authorOf(o *Object) string {
	if a := o.AttributedTo.First().ID; a != "" {
		return a
	}
	return o.Actor.First().ID
}

func (f *Federation) handleFollow(ctx context.Context, signer *store.Account, act *Object) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	if act.Object.First().ID != owner.URI {
		return permanent(fmt.Errorf("follow of %s, not the owner", act.Object.First().ID))
	}
	if blocked, err := f.st.Blocks(ctx, owner.ID, signer.ID); err != nil {
		return err
	} else if blocked {
		return f.sendFollowAnswer(ctx, "Reject", owner, signer, act, nil)
	}
	existing, err := f.st.GetFollow(ctx, signer.ID, owner.ID)
	if err == nil && !existing.Pending {
		// They think they are not following yet: accept again.
		return f.sendFollowAnswer(ctx, "Accept", owner, signer, act, nil)
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if err == nil { // a repeated request, still waiting
			return nil
		}
		fol := &store.Follow{AccountID: signer.ID, TargetAccountID: owner.ID, URI: act.ID, Pending: owner.Locked, ShowReblogs: true}
		if err := tx.InsertFollow(fol); err != nil {
			return err
		}
		typ := store.NotifyFollow
		if owner.Locked {
			typ = store.NotifyFollowRequest
		}
		if _, err := f.notify(tx, &store.Notification{Type: typ, FromAccountID: signer.ID}); err != nil {
			return err
		}
		if owner.Locked {
			return nil
		}
		return f.sendFollowAnswer(ctx, "Accept", owner, signer, act, tx)
	})
}

// sendFollowAnswer sends an Accept or Reject that embeds the Follow with
// its original id, actor and object, which Mastodon and Misskey match on
// (FEDERATION.md §9.12).
func (f *Federation) sendFollowAnswer(ctx context.Context, typ string, owner, follower *store.Account, follow *Object, tx *store.Tx) error {
	ans := &Object{
		ID:     f.cfg.URLs.Actor() + "#" + lower(typ) + "s/" + store.FormatID(f.st.NewID()),
		Type:   typ,
		Actor:  IRIs(owner.URI),
		To:     IRIs(follower.URI),
		Object: Refs{Embed(&Object{ID: follow.ID, Type: "Follow", Actor: IRIs(follower.URI), Object: IRIs(owner.URI)})},
	}
	return f.sendIn(ctx, tx, ans, []*store.Account{follower})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// followInObject finds the owner's follow of signer that an Accept or
// Reject answers: by the embedded Follow, or by the Follow id alone
// (FEDERATION.md §5.3 tolerates both).
func (f *Federation) ownFollowOf(ctx context.Context, signer *store.Account, act *Object) (*store.Account, *store.Follow, error) {
	owner, err := f.owner(ctx)
	if err != nil {
		return nil, nil, err
	}
	fol, err := f.st.GetFollow(ctx, owner.ID, signer.ID)
	if err != nil {
		return nil, nil, permanent(fmt.Errorf("no follow of %s to answer: %w", signer.URI, err))
	}
	ref := act.Object.First()
	if o := ref.Obj; o != nil && o.Type != "" && o.Type != "Follow" {
		return nil, nil, permanent(fmt.Errorf("%s of a %s", act.Type, o.Type))
	}
	return owner, fol, nil
}

func (f *Federation) handleAccept(ctx context.Context, signer *store.Account, act *Object) error {
	owner, fol, err := f.ownFollowOf(ctx, signer, act)
	if err != nil {
		return err
	}
	if !fol.Pending {
		return nil
	}
	return f.st.Update(ctx, func(tx *store.Tx) error { return tx.AcceptFollow(owner.ID, signer.ID) })
}

func (f *Federation) handleReject(ctx context.Context, signer *store.Account, act *Object) error {
	owner, _, err := f.ownFollowOf(ctx, signer, act)
	if err != nil {
		return err
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.DeleteFollow(owner.ID, signer.ID)
		return err
	})
}

func (f *Federation) handleUndo(ctx context.Context, signer *store.Account, act *Object) error {
	ref := act.Object.First()
	inner := ref.Obj
	if inner != nil && inner.Actor.First().ID != "" && inner.Actor.First().ID != signer.URI {
		return permanent(ErrActorMismatch)
	}
	id := ref.ID
	typ := ""
	if inner != nil {
		id, typ = inner.ID, inner.Type
	}
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		switch typ {
		case "Follow":
			_, err := tx.DeleteFollow(signer.ID, owner.ID)
			return err
		case "Block":
			return tx.DeleteBlock(signer.ID, owner.ID)
		case "Accept": // Undo{Accept{Follow}}: they removed the owner as a follower
			_, err := tx.DeleteFollow(owner.ID, signer.ID)
			return err
		case "Like", "EmojiReact":
			if err := f.undoLike(ctx, tx, signer, inner, id); err != nil {
				return err
			}
			return tx.DeleteReactionByURI(signer.ID, id)
		case "Announce":
			return f.undoAnnounce(tx, signer, id)
		}
		// Only the id: find what it named.
		if err := f.undoLike(ctx, tx, signer, nil, id); err != nil {
			return err
		}
		if err := f.undoAnnounce(tx, signer, id); err != nil {
			return err
		}
		if err := tx.DeleteReactionByURI(signer.ID, id); err != nil {
			return err
		}
		if fol, err := f.st.GetFollow(ctx, signer.ID, owner.ID); err == nil && fol.URI == id {
			_, err := tx.DeleteFollow(signer.ID, owner.ID)
			return err
		}
		return nil
	})
}

func (f *Federation) undoLike(ctx context.Context, tx *store.Tx, signer *store.Account, like *Object, id string) error {
	var statusID int64
	if like != nil && like.Object.First().ID != "" {
		st, err := tx.GetStatusByURI(like.Object.First().ID)
		if err != nil {
			return nil
		}
		statusID = st.ID
	} else {
		acct, sid, err := f.st.FavouriteByURI(ctx, id)
		if err != nil || acct != signer.ID {
			return nil
		}
		statusID = sid
	}
	removed, err := tx.DeleteFavourite(signer.ID, statusID)
	if err != nil || !removed {
		return err
	}
	return tx.DeleteNotifications(store.NotifyFavourite, signer.ID, &statusID)
}

func (f *Federation) undoAnnounce(tx *store.Tx, signer *store.Account, id string) error {
	boost, err := tx.GetStatusByURI(id)
	if err != nil || boost.AccountID != signer.ID || boost.ReblogOfID == nil {
		return nil
	}
	if err := f.deleteStatus(tx, boost); err != nil {
		return err
	}
	return tx.DeleteNotifications(store.NotifyReblog, signer.ID, boost.ReblogOfID)
}

func (f *Federation) handleLike(ctx context.Context, signer *store.Account, act *Object) error {
	st, err := f.st.GetStatusByURI(ctx, act.Object.First().ID)
	if err != nil {
		return permanent(fmt.Errorf("like of unknown status: %w", err))
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		// Misskey reactions arrive as Likes with content; Mastodon counts
		// them as favourites, and so does Roost (FEDERATION.md §5.4).
		added, err := tx.InsertFavourite(signer.ID, st.ID, act.ID)
		if err != nil || !added {
			return err
		}
		if r := firstNonEmpty(act.MisskeyReaction, act.Content); r != "" {
			if err := tx.InsertReaction(signer.ID, st.ID, r, emojiURL(act, r), act.ID); err != nil {
				return err
			}
		}
		return f.notifyAboutOwnStatus(ctx, tx, store.NotifyFavourite, signer, st)
	})
}

func emojiURL(act *Object, name string) string {
	for i := range act.Tag {
		t := &act.Tag[i]
		if t.Type == "Emoji" && (t.Name == name || ":"+t.Name+":" == name) {
			return t.Icon.URLString("image/")
		}
	}
	return ""
}

// notifyAboutOwnStatus records a notification when st is the owner's.
func (f *Federation) notifyAboutOwnStatus(ctx context.Context, tx *store.Tx, typ string, from *store.Account, st *store.Status) error {
	if !st.Local {
		return nil
	}
	_, err := f.notify(tx, &store.Notification{Type: typ, FromAccountID: from.ID, StatusID: &st.ID})
	return err
}

func (f *Federation) handleEmojiReact(ctx context.Context, signer *store.Account, act *Object) error {
	st, err := f.st.GetStatusByURI(ctx, act.Object.First().ID)
	if err != nil {
		return permanent(fmt.Errorf("reaction to unknown status: %w", err))
	}
	name := act.Content
	if name == "" {
		return permanent(errors.New("reaction without an emoji"))
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertReaction(signer.ID, st.ID, name, emojiURL(act, name), act.ID); err != nil {
			return err
		}
		return f.notifyAboutOwnStatus(ctx, tx, store.NotifyReaction, signer, st)
	})
}

func (f *Federation) handleBlock(ctx context.Context, signer *store.Account, act *Object) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	if act.Object.First().ID != owner.URI {
		return nil
	}
	// Blocking severs follows both ways, as Mastodon does.
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertBlock(signer.ID, owner.ID, act.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteFollow(signer.ID, owner.ID); err != nil {
			return err
		}
		_, err := tx.DeleteFollow(owner.ID, signer.ID)
		return err
	})
}

// handleMove moves the owner's follow from the old account (the signer)
// to the new one when the new one confirms it with alsoKnownAs.
func (f *Federation) handleMove(ctx context.Context, signer *store.Account, act *Object) error {
	if act.Object.First().ID != signer.URI {
		return permanent(ErrActorMismatch)
	}
	target := act.Target.First().ID
	if target == "" {
		return permanent(errors.New("move without target"))
	}
	moved, err := f.Actor(ctx, target, true)
	if err != nil {
		return err
	}
	if !slices.Contains(moved.AlsoKnownAs, signer.URI) {
		return permanent(fmt.Errorf("%s does not name %s in alsoKnownAs", target, signer.URI))
	}
	signer.MovedToURI = target
	if err := f.st.UpdateAccount(ctx, signer); err != nil {
		return err
	}
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	following, err := f.st.Follows(ctx, owner.ID, signer.ID)
	if err != nil || !following {
		return err
	}
	if err := f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := f.notify(tx, &store.Notification{Type: store.NotifyMove, FromAccountID: signer.ID, TargetAccountID: &moved.ID})
		return err
	}); err != nil {
		return err
	}
	if err := f.Unfollow(ctx, signer); err != nil {
		return err
	}
	if err := f.Follow(ctx, moved); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}
