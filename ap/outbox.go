package ap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"roost/store"
)

// sendIn queues act for the inboxes of to: inside tx when given (so that
// it commits with the change it announces), else in a transaction of its
// own. The delivery worker signs and sends it.
func (f *Federation) sendIn(ctx context.Context, tx *store.Tx, act *Object, to []*store.Account) error {
	inboxes := DeliveryInboxes(f.deliverable(ctx, to))
	if len(inboxes) == 0 {
		return nil
	}
	body, err := Marshal(WithContext(act))
	if err != nil {
		return err
	}
	if tx != nil {
		// Wake the worker only once the jobs are committed and visible.
		_, err = tx.EnqueueDeliveries(act.ID, body, inboxes)
		tx.OnCommit(f.wakeDeliveries)
		return err
	}
	if _, err = f.st.EnqueueDeliveries(ctx, act.ID, body, inboxes); err != nil {
		return err
	}
	f.wakeDeliveries()
	return nil
}

// deliverable drops local and domain-blocked accounts: blocked domains get
// nothing.
func (f *Federation) deliverable(ctx context.Context, accts []*store.Account) []*store.Account {
	out := accts[:0:0]
	for _, a := range accts {
		if a == nil || a.Local() {
			continue
		}
		if blocked, err := f.st.DomainBlocked(ctx, a.Domain); err != nil || blocked {
			continue
		}
		out = append(out, a)
	}
	return out
}

// audienceAccounts is who receives a status: followers (unless direct),
// the mentioned, and the author of the parent.
func (f *Federation) audienceAccounts(ctx context.Context, owner *store.Account, st *store.Status, mentioned []*store.Account) ([]*store.Account, error) {
	var to []*store.Account
	if st.Visibility != store.Direct {
		fs, err := f.st.ListFollowerAccounts(ctx, owner.ID)
		if err != nil {
			return nil, err
		}
		to = append(to, fs...)
	}
	return append(to, mentioned...), nil
}

// PostInput is a status the owner writes.
type PostInput struct {
	Content     string // HTML, already rendered
	Source      string // what the owner typed
	SpoilerText string
	Sensitive   bool
	Visibility  string
	Language    string
	InReplyTo   *store.Status
	Mentions    []*store.Account
	Tags        []string
	Media       []*store.Media
	Poll        *store.Poll
}

// Post stores the owner's new status and queues its Create for everyone
// who should get it, in one transaction: a crash never keeps one without
// the other.
func (f *Federation) Post(ctx context.Context, in PostInput) (*store.Status, error) {
	owner, err := f.owner(ctx)
	if err != nil {
		return nil, err
	}
	now := f.now()
	st := &store.Status{
		ID: f.st.NewID(), AccountID: owner.ID, Local: true, Visibility: in.Visibility,
		Content: in.Content, Source: in.Source, SpoilerText: in.SpoilerText,
		Sensitive: in.Sensitive || in.SpoilerText != "", Language: in.Language, CreatedAt: now,
	}
	if st.Visibility == "" {
		st.Visibility = store.Public
	}
	st.URI, st.URL = f.cfg.URLs.Status(st.ID), f.cfg.URLs.StatusPage(st.ID)
	st.Conversation = "tag:" + f.cfg.URLs.Host() + "," + now.UTC().Format("2006-01-02") + ":objectId=" + store.FormatID(st.ID) + ":objectType=Conversation"
	mentioned := in.Mentions
	if p := in.InReplyTo; p != nil {
		st.InReplyToID, st.InReplyToURI, st.InReplyToAccountID = &p.ID, p.URI, &p.AccountID
		if p.Conversation != "" {
			st.Conversation = p.Conversation
		}
		if author, err := f.st.GetAccount(ctx, p.AccountID); err == nil && !author.Local() {
			mentioned = appendAccount(mentioned, author)
		}
	}
	parts := &store.StatusParts{Tags: in.Tags, Media: in.Media, Poll: in.Poll}
	for _, a := range mentioned {
		parts.Mentions = append(parts.Mentions, a.ID)
	}
	to, err := f.audienceAccounts(ctx, owner, st, mentioned)
	if err != nil {
		return nil, err
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		if err := f.insertStatus(ctx, tx, st, parts); err != nil {
			return err
		}
		note := f.noteWithParts(st, parts, mentioned)
		return f.sendIn(ctx, tx, f.cfg.URLs.CreateDocument(note, now), to)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

func appendAccount(list []*store.Account, a *store.Account) []*store.Account {
	for _, x := range list {
		if x.ID == a.ID {
			return list
		}
	}
	return append(list, a)
}

// noteWithParts is the Note of a status with its mentions, hashtags,
// attachments and poll.
func (f *Federation) noteWithParts(st *store.Status, parts *store.StatusParts, mentioned []*store.Account) *Object {
	var ids []string
	for _, a := range mentioned {
		ids = append(ids, a.URI)
	}
	note := f.cfg.URLs.NoteDocument(st)
	note.To, note.CC = f.cfg.URLs.Audience(st.Visibility, ids)
	for _, a := range mentioned {
		note.Tag = append(note.Tag, Object{Type: "Mention", Href: a.URI, Name: "@" + a.Username + "@" + a.Domain})
	}
	if parts == nil {
		return note
	}
	for _, t := range parts.Tags {
		note.Tag = append(note.Tag, Object{Type: "Hashtag", Href: f.cfg.URLs.Tag(t), Name: "#" + t})
	}
	for _, m := range parts.Media {
		att := Object{Type: "Document", MediaType: m.MediaType, URL: IRIs(f.mediaURL(m)), Name: m.Description,
			Blurhash: m.Blurhash, Width: m.Width, Height: m.Height}
		if m.FocusX != 0 || m.FocusY != 0 {
			att.FocalPoint = []float64{m.FocusX, m.FocusY}
		}
		note.Attachment = append(note.Attachment, att)
	}
	if p := parts.Poll; p != nil {
		note.Type = "Question"
		opts := make([]Object, len(p.Options))
		for i, o := range p.Options {
			opts[i] = Object{Type: "Note", Name: o.Title,
				Replies: Embed(&Object{Type: "Collection", TotalItems: ptr(o.VotesCount)})}
		}
		if p.Multiple {
			note.AnyOf = opts
		} else {
			note.OneOf = opts
		}
		note.EndTime = p.ExpiresAt
		note.VotersCount = ptr(p.VotersCount)
		if p.Closed {
			note.Closed = p.ExpiresAt
		}
	}
	return note
}

// mediaURL is where peers fetch an attachment.
func (f *Federation) mediaURL(m *store.Media) string {
	if m.FilePath != "" {
		return f.cfg.URLs.Base + "/media/" + m.FilePath
	}
	return m.RemoteURL
}

// NoteOf renders one of the owner's statuses with everything it carries, as
// served at its id.
func (f *Federation) NoteOf(ctx context.Context, st *store.Status) (*Object, error) {
	parts, err := f.st.GetStatusParts(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	var mentioned []*store.Account
	for _, id := range parts.Mentions {
		if a, err := f.st.GetAccount(ctx, id); err == nil && !a.Local() {
			mentioned = append(mentioned, a)
		}
	}
	return f.noteWithParts(st, parts, mentioned), nil
}

// recipientsOf is everyone who received one of the owner's statuses.
func (f *Federation) recipientsOf(ctx context.Context, st *store.Status) ([]*store.Account, error) {
	owner, err := f.owner(ctx)
	if err != nil {
		return nil, err
	}
	parts, err := f.st.GetStatusParts(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	var mentioned []*store.Account
	for _, id := range parts.Mentions {
		if a, err := f.st.GetAccount(ctx, id); err == nil {
			mentioned = append(mentioned, a)
		}
	}
	return f.audienceAccounts(ctx, owner, st, mentioned)
}

// Edit changes the text of one of the owner's statuses and sends the new
// version as an Update with its "updated" time.
func (f *Federation) Edit(ctx context.Context, st *store.Status, content, source, spoiler string, sensitive bool) (*store.Status, error) {
	if !st.Local {
		return nil, errors.New("only the owner's statuses can be edited")
	}
	edited := *st
	now := f.now()
	edited.Content, edited.Source, edited.SpoilerText = content, source, spoiler
	edited.Sensitive = sensitive || spoiler != ""
	edited.EditedAt = &now
	to, err := f.recipientsOf(ctx, st)
	if err != nil {
		return nil, err
	}
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		if err := f.editStatus(ctx, tx, &edited, nil); err != nil {
			return err
		}
		note, err := f.NoteOf(ctx, &edited)
		if err != nil {
			return err
		}
		upd := &Object{ID: note.ID + "#updates/" + store.FormatID(now.UnixMilli()), Type: "Update",
			Actor: IRIs(f.cfg.URLs.Actor()), Published: ptr(now.UTC().Truncate(time.Second)), To: note.To, CC: note.CC,
			Object: Refs{Embed(note)}}
		return f.sendIn(ctx, tx, upd, to)
	})
	if err != nil {
		return nil, err
	}
	return &edited, nil
}

// Delete removes one of the owner's statuses (or boosts) and tells its
// audience: a Delete with a Tombstone, or an Undo of the Announce.
func (f *Federation) Delete(ctx context.Context, st *store.Status) error {
	if !st.Local && st.ReblogOfID == nil {
		return errors.New("only the owner's statuses can be deleted")
	}
	to, err := f.recipientsOf(ctx, st)
	if err != nil {
		return err
	}
	var act *Object
	if st.ReblogOfID != nil {
		orig, err := f.st.GetStatus(ctx, *st.ReblogOfID)
		if err != nil {
			return err
		}
		author, err := f.st.GetAccount(ctx, orig.AccountID)
		if err != nil {
			return err
		}
		ann := f.cfg.URLs.AnnounceDocument(st, orig.URI, author.URI)
		act = &Object{ID: ann.ID + "/undo", Type: "Undo", Actor: IRIs(f.cfg.URLs.Actor()), To: ann.To, CC: ann.CC, Object: Refs{Embed(ann)}}
		to = appendAccount(to, author)
	} else {
		to2, cc := f.cfg.URLs.Audience(st.Visibility, nil)
		act = &Object{ID: st.URI + "#delete", Type: "Delete", Actor: IRIs(f.cfg.URLs.Actor()), To: to2, CC: cc,
			Object: Refs{Embed(&Object{ID: st.URI, Type: "Tombstone"})}}
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if err := f.deleteStatus(tx, st); err != nil {
			return err
		}
		return f.sendIn(ctx, tx, act, to)
	})
}

// Follow asks to follow a remote account; the follow stays pending until
// their Accept.
func (f *Federation) Follow(ctx context.Context, target *store.Account) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	if target.Local() {
		return errors.New("the owner cannot follow itself")
	}
	fol := &store.Follow{AccountID: owner.ID, TargetAccountID: target.ID, Pending: true, ShowReblogs: true}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertFollow(fol); err != nil {
			return err
		}
		act := &Object{ID: f.cfg.URLs.Actor() + "#follows/" + store.FormatID(fol.ID), Type: "Follow",
			Actor: IRIs(owner.URI), Object: IRIs(target.URI), To: IRIs(target.URI)}
		return f.sendIn(ctx, tx, act, []*store.Account{target})
	})
}

// followActivity rebuilds the Follow the owner sent (its id is stable).
func (f *Federation) followActivity(fol *store.Follow, target *store.Account) *Object {
	return &Object{ID: f.cfg.URLs.Actor() + "#follows/" + store.FormatID(fol.ID), Type: "Follow",
		Actor: IRIs(f.cfg.URLs.Actor()), Object: IRIs(target.URI)}
}

// Unfollow withdraws the owner's follow (or request) of target.
func (f *Federation) Unfollow(ctx context.Context, target *store.Account) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	fol, err := f.st.GetFollow(ctx, owner.ID, target.ID)
	if err != nil {
		return err
	}
	follow := f.followActivity(fol, target)
	undo := &Object{ID: follow.ID + "/undo", Type: "Undo", Actor: IRIs(owner.URI), To: IRIs(target.URI), Object: Refs{Embed(follow)}}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.DeleteFollow(owner.ID, target.ID); err != nil {
			return err
		}
		return f.sendIn(ctx, tx, undo, []*store.Account{target})
	})
}

// followerFollow rebuilds follower's Follow of the owner, with its
// original id, for an Accept or Reject to embed.
func (f *Federation) followerFollow(ctx context.Context, follower *store.Account) (*store.Account, *Object, error) {
	owner, err := f.owner(ctx)
	if err != nil {
		return nil, nil, err
	}
	fol, err := f.st.GetFollow(ctx, follower.ID, owner.ID)
	if err != nil {
		return nil, nil, err
	}
	return owner, &Object{ID: fol.URI, Type: "Follow", Actor: IRIs(follower.URI), Object: IRIs(owner.URI)}, nil
}

// AnswerFollowRequest accepts or rejects a pending follow request.
func (f *Federation) AnswerFollowRequest(ctx context.Context, follower *store.Account, accept bool) error {
	owner, follow, err := f.followerFollow(ctx, follower)
	if err != nil {
		return err
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		if accept {
			err = tx.AcceptFollow(follower.ID, owner.ID)
		} else {
			_, err = tx.DeleteFollow(follower.ID, owner.ID)
		}
		if err != nil {
			return err
		}
		typ := "Reject"
		if accept {
			typ = "Accept"
		}
		return f.sendFollowAnswer(ctx, typ, owner, follower, follow, tx)
	})
}

// ownerAndAuthor loads the owner and the author of st, the two ends of a
// like, boost or vote.
func (f *Federation) ownerAndAuthor(ctx context.Context, st *store.Status) (owner, author *store.Account, err error) {
	if owner, err = f.owner(ctx); err != nil {
		return nil, nil, err
	}
	if author, err = f.st.GetAccount(ctx, st.AccountID); err != nil {
		return nil, nil, err
	}
	return owner, author, nil
}

// Favourite likes a status and tells its author.
func (f *Federation) Favourite(ctx context.Context, st *store.Status) error {
	owner, author, err := f.ownerAndAuthor(ctx, st)
	if err != nil {
		return err
	}
	like := f.likeActivity(st)
	return f.st.Update(ctx, func(tx *store.Tx) error {
		added, err := tx.InsertFavourite(owner.ID, st.ID, like.ID)
		if err != nil || !added {
			return err
		}
		return f.sendIn(ctx, tx, like, []*store.Account{author})
	})
}

func (f *Federation) likeActivity(st *store.Status) *Object {
	return &Object{ID: f.cfg.URLs.Actor() + "#likes/" + store.FormatID(st.ID), Type: "Like",
		Actor: IRIs(f.cfg.URLs.Actor()), Object: IRIs(st.URI)}
}

// Unfavourite withdraws a like.
func (f *Federation) Unfavourite(ctx context.Context, st *store.Status) error {
	owner, author, err := f.ownerAndAuthor(ctx, st)
	if err != nil {
		return err
	}
	like := f.likeActivity(st)
	undo := &Object{ID: like.ID + "/undo", Type: "Undo", Actor: IRIs(owner.URI), Object: Refs{Embed(like)}}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		removed, err := tx.DeleteFavourite(owner.ID, st.ID)
		if err != nil || !removed {
			return err
		}
		return f.sendIn(ctx, tx, undo, []*store.Account{author})
	})
}

// Boost announces a public or unlisted status to the owner's followers and
// its author.
func (f *Federation) Boost(ctx context.Context, st *store.Status) (*store.Status, error) {
	if st.Visibility != store.Public && st.Visibility != store.Unlisted {
		return nil, errors.New("only public and unlisted statuses can be boosted")
	}
	owner, author, err := f.ownerAndAuthor(ctx, st)
	if err != nil {
		return nil, err
	}
	followers, err := f.st.ListFollowerAccounts(ctx, owner.ID)
	if err != nil {
		return nil, err
	}
	boost := &store.Status{ID: f.st.NewID(), AccountID: owner.ID, Local: true, ReblogOfID: &st.ID,
		Visibility: store.Public, CreatedAt: f.now()}
	boost.URI = f.cfg.URLs.StatusActivity(boost.ID)
	boost.ActivityURI = boost.URI
	err = f.st.Update(ctx, func(tx *store.Tx) error {
		if err := f.insertStatus(ctx, tx, boost, nil); err != nil {
			return err
		}
		return f.sendIn(ctx, tx, f.cfg.URLs.AnnounceDocument(boost, st.URI, author.URI), appendAccount(followers, author))
	})
	if err != nil {
		return nil, err
	}
	return boost, nil
}

// Unboost undoes the owner's boost of st.
func (f *Federation) Unboost(ctx context.Context, st *store.Status) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	boost, err := f.st.GetBoost(ctx, owner.ID, st.ID)
	if err != nil {
		return err
	}
	return f.Delete(ctx, boost)
}

// Block blocks an account: follows both ways end and they are told.
func (f *Federation) Block(ctx context.Context, target *store.Account) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	act := f.blockActivity(target)
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertBlock(owner.ID, target.ID, act.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteFollow(owner.ID, target.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteFollow(target.ID, owner.ID); err != nil {
			return err
		}
		return f.sendIn(ctx, tx, act, []*store.Account{target})
	})
}

// blockActivity is the owner's Block of target; its id is stable, so an
// Undo names the same Block.
func (f *Federation) blockActivity(target *store.Account) *Object {
	return &Object{ID: f.cfg.URLs.Actor() + "#blocks/" + store.FormatID(target.ID), Type: "Block",
		Actor: IRIs(f.cfg.URLs.Actor()), Object: IRIs(target.URI), To: IRIs(target.URI)}
}

// Unblock lifts the owner's block of target and tells them.
func (f *Federation) Unblock(ctx context.Context, target *store.Account) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	block := f.blockActivity(target)
	undo := &Object{ID: block.ID + "/undo", Type: "Undo", Actor: IRIs(owner.URI), To: IRIs(target.URI), Object: Refs{Embed(block)}}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteBlock(owner.ID, target.ID); err != nil {
			return err
		}
		return f.sendIn(ctx, tx, undo, []*store.Account{target})
	})
}

// RemoveFollower ends follower's follow of the owner and tells them with a
// Reject of their Follow, as Mastodon does.
func (f *Federation) RemoveFollower(ctx context.Context, follower *store.Account) error {
	owner, follow, err := f.followerFollow(ctx, follower)
	if err != nil {
		return err
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.DeleteFollow(follower.ID, owner.ID); err != nil {
			return err
		}
		return f.sendFollowAnswer(ctx, "Reject", owner, follower, follow, tx)
	})
}

// Vote casts the owner's choices in a remote poll: one Create of a Note
// per choice, sent to the poll's author only (FEDERATION.md §5.2).
func (f *Federation) Vote(ctx context.Context, st *store.Status, choices []int) error {
	owner, author, err := f.ownerAndAuthor(ctx, st)
	if err != nil {
		return err
	}
	poll, err := f.st.GetPoll(ctx, st.ID)
	if err != nil {
		return err
	}
	if poll.Closed || (poll.ExpiresAt != nil && f.now().After(*poll.ExpiresAt)) {
		return errors.New("the poll has ended")
	}
	if len(choices) == 0 || (!poll.Multiple && len(choices) > 1) {
		return errors.New("choose one option")
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		for _, c := range choices {
			if c < 0 || c >= len(poll.Options) {
				return fmt.Errorf("option %d does not exist", c)
			}
			id := f.cfg.URLs.Actor() + "#votes/" + store.FormatID(f.st.NewID())
			if _, err := tx.InsertPollVote(st.ID, owner.ID, c, id, poll.Multiple); err != nil {
				return err
			}
			note := &Object{ID: id, Type: "Note", Name: poll.Options[c].Title, AttributedTo: IRIs(owner.URI),
				InReplyTo: IRI(st.URI), To: IRIs(author.URI)}
			act := &Object{ID: id + "/activity", Type: "Create", Actor: IRIs(owner.URI), To: IRIs(author.URI), Object: Refs{Embed(note)}}
			if err := f.sendIn(ctx, tx, act, []*store.Account{author}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClosePolls ends the owner's polls whose time is up: each is closed, the
// owner notified, and the final counts sent to followers and voters.
func (f *Federation) ClosePolls(ctx context.Context) (int, error) {
	ids, err := f.st.ExpiredPolls(ctx, f.now())
	if err != nil {
		return 0, err
	}
	owner, err := f.owner(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		st, err := f.st.GetStatus(ctx, id)
		if err != nil {
			return 0, err
		}
		to, err := f.recipientsOf(ctx, st)
		if err != nil {
			return 0, err
		}
		voters, err := f.st.ListPollVoters(ctx, id)
		if err != nil {
			return 0, err
		}
		for _, v := range voters {
			to = appendAccount(to, v)
		}
		err = f.st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.ClosePoll(id); err != nil {
				return err
			}
			if _, err := f.notify(tx, &store.Notification{Type: store.NotifyPoll, FromAccountID: owner.ID, StatusID: &id}); err != nil {
				return err
			}
			note, err := f.NoteOf(ctx, st)
			if err != nil {
				return err
			}
			// NoteOf reads outside this transaction: mark the poll
			// closed here.
			now := f.now()
			note.Updated = ptr(now.UTC().Truncate(time.Second))
			note.Closed = note.Updated
			upd := &Object{ID: note.ID + "#updates/" + store.FormatID(now.UnixMilli()), Type: "Update",
				Actor: IRIs(owner.URI), To: note.To, CC: note.CC, Object: Refs{Embed(note)}}
			return f.sendIn(ctx, tx, upd, to)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// UpdateProfile sends the owner's current actor to followers.
func (f *Federation) UpdateProfile(ctx context.Context, avatar, avatarType, header, headerType string) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	followers, err := f.st.ListFollowerAccounts(ctx, owner.ID)
	if err != nil {
		return err
	}
	actor := f.cfg.URLs.ActorDocument(owner, avatar, avatarType, header, headerType)
	actor.Context = nil
	upd := &Object{ID: owner.URI + "#updates/" + store.FormatID(f.now().UnixMilli()), Type: "Update",
		Actor: IRIs(owner.URI), To: IRIs(Public), CC: IRIs(f.cfg.URLs.Followers()), Object: Refs{Embed(actor)}}
	return f.sendIn(ctx, nil, upd, followers)
}

// MoveTo moves the owner's followers to target, which must already list
// the owner in its alsoKnownAs.
func (f *Federation) MoveTo(ctx context.Context, target *store.Account) error {
	owner, err := f.owner(ctx)
	if err != nil {
		return err
	}
	fresh, err := f.Actor(ctx, target.URI, true)
	if err != nil {
		return err
	}
	found := false
	for _, aka := range fresh.AlsoKnownAs {
		found = found || aka == owner.URI
	}
	if !found {
		return fmt.Errorf("%s must list %s in its aliases (alsoKnownAs) first", target.URI, owner.URI)
	}
	followers, err := f.st.ListFollowerAccounts(ctx, owner.ID)
	if err != nil {
		return err
	}
	owner.MovedToURI = target.URI
	if err := f.st.UpdateAccount(ctx, owner); err != nil {
		return err
	}
	act := &Object{ID: owner.URI + "#moves/" + store.FormatID(f.st.NewID()), Type: "Move", Actor: IRIs(owner.URI),
		Object: IRIs(owner.URI), Target: IRIs(target.URI), To: IRIs(f.cfg.URLs.Followers())}
	return f.sendIn(ctx, nil, act, followers)
}
