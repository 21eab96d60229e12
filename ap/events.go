package ap

import (
	"context"
	"errors"
	"strings"

	"roost/store"
)

// Events receives what changed in the owner's world once it is committed:
// the streaming hub in handlers, plugged in by main. Publish must not
// block; federation calls it from its workers and request handlers.
type Events interface {
	Publish(e Event)
	// Listening reports whether any stream is open. Status events are
	// only for streams, so with none open they are not even described
	// (which costs queries per stored status); notifications are
	// published always, for Web Push.
	Listening() bool
}

// Event kinds, as the Mastodon streaming API names them.
const (
	EventUpdate       = "update"
	EventNotification = "notification"
	EventDelete       = "delete"
	EventStatusUpdate = "status.update"
	EventConversation = "conversation"
)

// Event says that a status or notification appeared, changed or went.
// It carries ids, not JSON: each subscriber renders what it receives for
// its own view.
type Event struct {
	// Kind is one of the Event… constants.
	Kind string
	// StatusID is the status of an update, status.update, delete or
	// conversation.
	StatusID int64
	// NotificationID is the notification of a notification event.
	NotificationID int64
	// Public is true for a public status that is not a boost: it belongs
	// on the public and hashtag streams.
	Public bool
	// Local is true for the owner's own statuses.
	Local bool
	// Direct is true for a direct message.
	Direct bool
	// Tags are the status's hashtags, lower-cased, without "#".
	Tags []string
	// Home is true when the status belongs on the owner's home
	// timeline: the owner's own, or from an account the owner follows
	// (its boosts only where the follow shows boosts).
	Home bool
}

// publish hands e to the events sink once tx commits; never if it rolls
// back.
func (f *Federation) publish(tx *store.Tx, e Event) {
	if f.cfg.Events == nil {
		return
	}
	tx.OnCommit(func() { f.cfg.Events.Publish(e) })
}

// notify stores a notification for the owner, as tx.InsertNotification,
// and publishes it once committed.
func (f *Federation) notify(tx *store.Tx, n *store.Notification) (added bool, err error) {
	added, err = tx.InsertNotification(n)
	if err == nil && added {
		f.publish(tx, Event{Kind: EventNotification, NotificationID: n.ID})
	}
	return added, err
}

// insertStatus stores a status, as tx.InsertStatus, and publishes it
// (update, and conversation for a direct message) once committed.
func (f *Federation) insertStatus(ctx context.Context, tx *store.Tx, st *store.Status, parts *store.StatusParts) error {
	if err := tx.InsertStatus(st, parts); err != nil {
		return err
	}
	f.publishStatus(ctx, tx, EventUpdate, st, parts)
	return nil
}

// editStatus edits a status, as tx.EditStatus, and publishes a
// status.update once committed.
func (f *Federation) editStatus(ctx context.Context, tx *store.Tx, st *store.Status, parts *store.StatusParts) error {
	if err := tx.EditStatus(st, parts); err != nil {
		return err
	}
	f.publishStatus(ctx, tx, EventStatusUpdate, st, parts)
	return nil
}

// deleteStatus deletes a status, as tx.DeleteStatus, and publishes its
// id once committed.
func (f *Federation) deleteStatus(tx *store.Tx, st *store.Status) error {
	if err := tx.DeleteStatus(st); err != nil {
		return err
	}
	f.publish(tx, Event{Kind: EventDelete, StatusID: st.ID, Home: true, Local: st.Local,
		Public: st.Visibility == store.Public && st.ReblogOfID == nil, Direct: st.Visibility == store.Direct})
	return nil
}

// publishStatus publishes an update or status.update of st once tx
// commits. Whether st belongs on home, and its tags when parts does not
// carry them, are looked up after the commit, outside the write lock.
func (f *Federation) publishStatus(ctx context.Context, tx *store.Tx, kind string, st *store.Status, parts *store.StatusParts) {
	if f.cfg.Events == nil {
		return
	}
	snap := *st
	var tags []string
	if parts != nil {
		tags = parts.Tags
	}
	tx.OnCommit(func() {
		if !f.cfg.Events.Listening() {
			return
		}
		e, err := f.statusEvent(ctx, kind, &snap, tags, parts != nil)
		if err != nil {
			// Streaming is best effort: the status is stored and
			// apps will see it when they next load the timeline.
			f.log.Warn("streaming event not published", "status", snap.ID, "err", err)
			return
		}
		if e.Home || e.Public {
			f.cfg.Events.Publish(e)
		}
		if kind == EventUpdate && e.Direct {
			f.cfg.Events.Publish(Event{Kind: EventConversation, StatusID: snap.ID, Local: e.Local, Direct: true})
		}
	})
}

// statusEvent describes st for the streams.
func (f *Federation) statusEvent(ctx context.Context, kind string, st *store.Status, tags []string, haveTags bool) (Event, error) {
	e := Event{Kind: kind, StatusID: st.ID, Local: st.Local,
		Public: st.Visibility == store.Public && st.ReblogOfID == nil,
		Direct: st.Visibility == store.Direct && st.ReblogOfID == nil}
	owner, err := f.owner(ctx)
	if err != nil {
		return e, err
	}
	if st.AccountID == owner.ID {
		e.Home = true
	} else if fol, err := f.st.GetFollow(ctx, owner.ID, st.AccountID); err == nil {
		e.Home = !fol.Pending && (st.ReblogOfID == nil || fol.ShowReblogs)
	} else if !errors.Is(err, store.ErrNotFound) {
		return e, err
	}
	if e.Public && !haveTags {
		parts, err := f.st.GetStatusParts(ctx, st.ID)
		if err != nil {
			return e, err
		}
		tags = parts.Tags
	}
	if e.Public {
		for _, t := range tags {
			e.Tags = append(e.Tags, strings.ToLower(t))
		}
	}
	return e, nil
}
