package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"roost/ap"
	"roost/store"
)

// The Mastodon streaming API: one WebSocket multiplexing subscriptions,
// or one server-sent-events response per stream.
// https://docs.joinmastodon.org/methods/streaming/

const (
	// maxStreamConns bounds open streaming connections: each holds a
	// buffer and one or two goroutines, which a Pi should not run out of.
	maxStreamConns = 64
	// streamBuffer is how many events a connection may fall behind before
	// it is dropped: the publisher never waits for a slow client.
	streamBuffer = 64
	// maxSubscriptions bounds the streams one WebSocket may follow.
	maxSubscriptions = 32
	// streamPing is how often a WebSocket is pinged and an SSE response
	// sent a heartbeat, so that proxies keep them open and dead peers are
	// noticed.
	streamPing = 30 * time.Second
	// streamWriteTimeout bounds one write (or ping) to a client.
	streamWriteTimeout = 10 * time.Second
)

var (
	errTooManyStreams = &httpError{Code: http.StatusServiceUnavailable, Msg: "Too many streaming connections"}
	errUnknownStream  = &httpError{Code: http.StatusBadRequest, Msg: "Unknown stream type"}
	errNoStreamScope  = &httpError{Code: http.StatusForbidden, Msg: "Access token does not have the required scopes"}
)

// stream is one subscribable stream: a name ("user", "public:local",
// "hashtag"…) and, for hashtag streams, the lower-cased tag.
type stream struct{ name, tag string }

// label is the stream as event frames name it: ["user"] or
// ["hashtag", "tag"].
func (s stream) label() []string {
	if s.tag != "" {
		return []string{s.name, s.tag}
	}
	return []string{s.name}
}

// streamScopes are the streams Roost serves and the scope each needs
// (Mastodon: read:notifications for user:notification, read:statuses
// for the rest; "read" grants both).
var streamScopes = map[string]string{
	"user":              "read:statuses",
	"user:notification": "read:notifications",
	"public":            "read:statuses",
	"public:local":      "read:statuses",
	"public:remote":     "read:statuses",
	"hashtag":           "read:statuses",
	"hashtag:local":     "read:statuses",
	"direct":            "read:statuses",
}

// errListStream marks a list stream, which Roost has no lists for: a
// WebSocket subscription to one is accepted and stays silent.
var errListStream = errors.New("list streams are not supported")

// parseStream checks a stream name (and tag, for hashtag streams).
func parseStream(name, tag string) (stream, error) {
	if name == "list" {
		return stream{}, errListStream
	}
	if _, ok := streamScopes[name]; !ok {
		return stream{}, errUnknownStream
	}
	if strings.HasPrefix(name, "hashtag") {
		tag = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(tag), "#"))
		if tag == "" {
			return stream{}, &httpError{Code: http.StatusBadRequest, Msg: "No tag for stream provided"}
		}
		return stream{name: name, tag: tag}, nil
	}
	return stream{name: name}, nil
}

// Hub fans events from federation out to streaming connections. It keeps
// no goroutines of its own: Publish only queues, without blocking, into
// each subscriber's buffer, and every connection's handler drains its
// own. It implements ap.Events.
type Hub struct {
	mu      sync.Mutex
	conns   map[*subscriber]struct{}
	streams map[stream]map[*subscriber]struct{}
	closed  bool
	push    func(ap.Event) // Web Push (push.go), set by New
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{conns: map[*subscriber]struct{}{}, streams: map[stream]map[*subscriber]struct{}{}}
}

// subscriber is one streaming connection.
type subscriber struct {
	events chan delivery
	// gone is closed when the hub drops the connection: too slow, or
	// shutting down (reason says which).
	gone   chan struct{}
	reason websocket.StatusCode
	// streams and notifications are guarded by Hub.mu.
	streams map[stream]struct{}
	// notifications is whether the token may read notifications: the
	// user stream carries them only then, as in Mastodon.
	notifications bool
}

// delivery is one event for one of a subscriber's streams.
type delivery struct {
	stream stream
	ev     ap.Event
}

// join registers a connection; errTooManyStreams when the hub is full or
// closed.
func (h *Hub) join(notifications bool) (*subscriber, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.conns) >= maxStreamConns {
		return nil, errTooManyStreams
	}
	sub := &subscriber{events: make(chan delivery, streamBuffer), gone: make(chan struct{}),
		streams: map[stream]struct{}{}, notifications: notifications}
	h.conns[sub] = struct{}{}
	return sub, nil
}

// leave forgets a connection (a no-op when it was dropped already).
func (h *Hub) leave(sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(sub)
}

// subscribe adds a stream to a connection; false when it follows too many.
func (h *Hub) subscribe(sub *subscriber, s stream) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[sub]; !ok {
		return true // dropped: its handler is about to notice
	}
	if _, ok := sub.streams[s]; ok {
		return true
	}
	if len(sub.streams) >= maxSubscriptions {
		return false
	}
	sub.streams[s] = struct{}{}
	if h.streams[s] == nil {
		h.streams[s] = map[*subscriber]struct{}{}
	}
	h.streams[s][sub] = struct{}{}
	return true
}

// unsubscribe removes a stream from a connection.
func (h *Hub) unsubscribe(sub *subscriber, s stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(sub.streams, s)
	h.unindex(sub, s)
}

func (h *Hub) unindex(sub *subscriber, s stream) {
	if set := h.streams[s]; set != nil {
		delete(set, sub)
		if len(set) == 0 {
			delete(h.streams, s)
		}
	}
}

// remove takes sub out of the hub; it reports whether sub was still in.
// The caller holds h.mu.
func (h *Hub) remove(sub *subscriber) bool {
	if _, ok := h.conns[sub]; !ok {
		return false
	}
	delete(h.conns, sub)
	for s := range sub.streams {
		h.unindex(sub, s)
	}
	return true
}

// drop removes sub and tells its handler why. The caller holds h.mu.
func (h *Hub) drop(sub *subscriber, reason websocket.StatusCode) {
	if h.remove(sub) {
		sub.reason = reason
		close(sub.gone)
	}
}

// Close drops every connection and refuses new ones: for shutdown, since
// http.Server.Shutdown neither closes hijacked WebSockets nor waits for
// long responses to end by themselves.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for sub := range h.conns {
		h.drop(sub, websocket.StatusGoingAway)
	}
}

// Listening reports whether any stream is open.
func (h *Hub) Listening() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns) > 0
}

// Publish queues e for every connection following a stream it belongs
// on. It never blocks: a connection whose buffer is full is dropped.
func (h *Hub) Publish(e ap.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch e.Kind {
	case ap.EventUpdate, ap.EventStatusUpdate:
		if e.Home {
			h.send(stream{name: "user"}, e)
		}
		h.sendPublic(e)
	case ap.EventNotification:
		h.send(stream{name: "user"}, e)
		h.send(stream{name: "user:notification"}, e)
		h.pushLocked(e)
	case ap.EventDelete:
		// Apps drop ids they do not show, so a delete may go wherever
		// the status could have been.
		h.send(stream{name: "user"}, e)
		h.sendPublic(e)
		if e.Public && len(e.Tags) == 0 {
			for s := range h.streams {
				if s.tag != "" && (s.name == "hashtag" || e.Local) {
					h.send(s, e)
				}
			}
		}
		if e.Direct {
			h.send(stream{name: "direct"}, e)
		}
	case ap.EventConversation:
		h.send(stream{name: "direct"}, e)
	}
}

// sendPublic queues a public status for the public and hashtag streams.
func (h *Hub) sendPublic(e ap.Event) {
	if !e.Public {
		return
	}
	h.send(stream{name: "public"}, e)
	if e.Local {
		h.send(stream{name: "public:local"}, e)
	} else {
		h.send(stream{name: "public:remote"}, e)
	}
	for _, t := range e.Tags {
		h.send(stream{name: "hashtag", tag: t}, e)
		if e.Local {
			h.send(stream{name: "hashtag:local", tag: t}, e)
		}
	}
}

// send queues e for the followers of s. The caller holds h.mu.
func (h *Hub) send(s stream, e ap.Event) {
	for sub := range h.streams[s] {
		if e.Kind == ap.EventNotification && s.name == "user" && !sub.notifications {
			continue
		}
		select {
		case sub.events <- delivery{stream: s, ev: e}:
		default:
			h.drop(sub, websocket.StatusTryAgainLater)
		}
	}
}

// streamMessage is a WebSocket event frame, as Mastodon sends it: the
// payload is a string holding JSON (or, for delete, the id).
type streamMessage struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

// streamError is a WebSocket error frame.
type streamError struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// Conversation is a Mastodon Conversation: a direct-message thread.
type Conversation struct {
	ID         string     `json:"id"`
	Unread     bool       `json:"unread"`
	Accounts   []*Account `json:"accounts"`
	LastStatus *Status    `json:"last_status"`
}

// getStreamingHealth answers GET /api/v1/streaming/health as Mastodon's
// streaming server does.
func (s *Server) getStreamingHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "OK")
}

// getStreaming serves GET /api/v1/streaming[/…]: a WebSocket when the
// request asks for an upgrade, else server-sent events of the stream
// named by the path (/api/v1/streaming/public/local is public:local) or
// by ?stream=.
func (s *Server) getStreaming(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	name := q.Get("stream")
	if p := strings.Trim(r.PathValue("stream"), "/"); p != "" {
		name = strings.ReplaceAll(p, "/", ":")
	}
	ws := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
	a, proto, err := s.streamAuth(r)
	if err != nil {
		return err
	}
	var initial *stream
	if name != "" {
		st, err := parseStream(name, q.Get("tag"))
		switch {
		case errors.Is(err, errListStream) && ws:
		case errors.Is(err, errListStream):
			return errUnknownStream
		case err != nil:
			return err
		case !a.allows(streamScopes[st.name]):
			return errNoStreamScope
		default:
			initial = &st
		}
	}
	if !ws && initial == nil {
		return errUnknownStream
	}
	hub := s.cfg.Streaming
	sub, err := hub.join(a.allows("read:notifications"))
	if err != nil {
		return err
	}
	defer hub.leave(sub)
	if initial != nil {
		hub.subscribe(sub, *initial)
	}
	if ws {
		s.serveWebSocket(w, r, sub, a, proto)
	} else {
		s.serveEvents(w, r, sub)
	}
	return nil
}

// streamAuth authenticates a streaming request: the token comes from
// "Authorization: Bearer", ?access_token=, or Sec-WebSocket-Protocol
// (browsers cannot set headers on a WebSocket). proto is the protocol to
// echo back, without which Chrome drops the connection. Streaming needs
// a user token that can read statuses or notifications.
func (s *Server) streamAuth(r *http.Request) (a *authInfo, proto string, err error) {
	if v := r.Header.Get("Sec-WebSocket-Protocol"); v != "" {
		proto, _, _ = strings.Cut(v, ",")
		proto = strings.TrimSpace(proto)
	}
	if proto != "" && r.Header.Get("Authorization") == "" && r.URL.Query().Get("access_token") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+proto)
	}
	if a, err = s.authenticate(r); err != nil {
		return nil, "", err
	}
	switch {
	case a == nil || !a.Owner:
		return nil, "", errInvalidToken
	case !a.allows("read:statuses") && !a.allows("read:notifications"):
		return nil, "", errNoStreamScope
	}
	return a, proto, nil
}

// serveWebSocket runs one WebSocket: a reader goroutine takes subscribe
// and unsubscribe commands while this one writes events and pings.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, sub *subscriber, a *authInfo, proto string) {
	// Hijacking clears the server's read and write deadlines; writes
	// and pings bound themselves (streamWriteTimeout).
	opts := &websocket.AcceptOptions{
		// Browser apps (Elk, Phanpy) connect from their own origins; the
		// token, not a cookie, authenticates, so the origin check buys
		// nothing.
		InsecureSkipVerify: true,
	}
	if proto != "" {
		opts.Subprotocols = []string{proto}
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		s.log.Debug("websocket not accepted", "err", err)
		return // Accept has answered
	}
	c.SetReadLimit(4096)
	ctx, cancel := context.WithCancel(r.Context())
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		s.readStreamCommands(ctx, c, sub, a)
	}()
	defer func() {
		cancel()
		c.CloseNow()
		<-readDone
	}()
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	for {
		select {
		case <-readDone:
			return
		case <-sub.gone:
			c.Close(sub.reason, "")
			return
		case d := <-sub.events:
			msg, ok := s.renderStreamEvent(ctx, d)
			if !ok {
				continue
			}
			b, _ := json.Marshal(streamMessage{Stream: d.stream.label(), Event: d.ev.Kind, Payload: msg})
			if writeWS(ctx, c, b) != nil {
				return
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, streamWriteTimeout)
			err := c.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		}
	}
}

func writeWS(ctx context.Context, c *websocket.Conn, b []byte) error {
	ctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
	defer cancel()
	return c.Write(ctx, websocket.MessageText, b)
}

// streamCommand is what a client sends on a WebSocket:
// {"type":"subscribe","stream":"hashtag","tag":"cats"}.
type streamCommand struct {
	Type   string `json:"type"`
	Stream string `json:"stream"`
	Tag    string `json:"tag"`
	List   string `json:"list"`
}

// readStreamCommands applies subscribe and unsubscribe commands until the
// connection ends. Unknown command types are ignored, as in Mastodon.
func (s *Server) readStreamCommands(ctx context.Context, c *websocket.Conn, sub *subscriber, a *authInfo) {
	hub := s.cfg.Streaming
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		var cmd streamCommand
		if typ != websocket.MessageText || json.Unmarshal(b, &cmd) != nil {
			if writeStreamError(ctx, c, http.StatusBadRequest, "Invalid JSON") != nil {
				return
			}
			continue
		}
		if cmd.Type != "subscribe" && cmd.Type != "unsubscribe" {
			continue
		}
		st, err := parseStream(cmd.Stream, cmd.Tag)
		var he *httpError
		switch {
		case errors.Is(err, errListStream):
			continue
		case errors.As(err, &he):
			err = writeStreamError(ctx, c, he.Code, he.Msg)
		case cmd.Type == "unsubscribe":
			hub.unsubscribe(sub, st)
		case !a.allows(streamScopes[st.name]):
			err = writeStreamError(ctx, c, http.StatusUnauthorized, errNoStreamScope.Msg)
		case !hub.subscribe(sub, st):
			err = writeStreamError(ctx, c, http.StatusBadRequest, "Too many subscriptions")
		}
		if err != nil {
			return
		}
	}
}

func writeStreamError(ctx context.Context, c *websocket.Conn, status int, msg string) error {
	b, _ := json.Marshal(streamError{Error: msg, Status: status})
	return writeWS(ctx, c, b)
}

// serveEvents streams one subscription as server-sent events, with a
// heartbeat comment every streamPing.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, sub *subscriber) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would hold events back
	w.WriteHeader(http.StatusOK)
	write := func(text string) bool {
		// A deadline per write replaces the server's WriteTimeout, which
		// would end the response after a minute.
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := io.WriteString(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(":)\n") {
		return
	}
	tick := time.NewTicker(streamPing)
	defer tick.Stop()
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.gone:
			return
		case d := <-sub.events:
			msg, ok := s.renderStreamEvent(ctx, d)
			if ok && !write("event: "+d.ev.Kind+"\ndata: "+msg+"\n\n") {
				return
			}
		case <-tick.C:
			if !write(":thump\n") {
				return
			}
		}
	}
}

// renderStreamEvent renders an event's payload as the owner sees it;
// false when there is nothing to send (the status or notification went
// in the meantime).
func (s *Server) renderStreamEvent(ctx context.Context, d delivery) (string, bool) {
	v, err := s.streamPayload(ctx, d.ev)
	v, err = s.filterStreamPayload(ctx, d.stream, v, err)
	if errors.Is(err, store.ErrNotFound) {
		return "", false
	}
	if err != nil {
		s.log.Warn("streaming event not rendered", "event", d.ev.Kind, "status", d.ev.StatusID,
			"notification", d.ev.NotificationID, "err", err)
		return "", false
	}
	if id, ok := v.(string); ok {
		return id, true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// streamPayload is the entity an event carries: a Status, a Notification,
// a Conversation, or (for delete) the id itself.
func (s *Server) streamPayload(ctx context.Context, e ap.Event) (any, error) {
	switch e.Kind {
	case ap.EventDelete:
		return store.FormatID(e.StatusID), nil
	case ap.EventNotification:
		// No lookup by id: a page bounded on both sides holds exactly it.
		list, err := s.st.ListNotifications(ctx, nil, store.Page{MaxID: e.NotificationID + 1, SinceID: e.NotificationID - 1, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, store.ErrNotFound
		}
		return s.notificationJSON(ctx, list[0])
	}
	st, err := s.st.GetStatus(ctx, e.StatusID)
	if err != nil {
		return nil, err
	}
	if e.Kind == ap.EventConversation {
		return s.conversationJSON(ctx, st)
	}
	return s.statusJSON(ctx, st)
}

// conversationJSON renders the direct-message thread of st, with st as
// its last status. The accounts are everyone in it but the owner.
func (s *Server) conversationJSON(ctx context.Context, st *store.Status) (*Conversation, error) {
	r, err := s.newRenderer(ctx, true)
	if err != nil {
		return nil, err
	}
	last, err := r.status(ctx, st)
	if err != nil {
		return nil, err
	}
	parts, err := s.st.GetStatusParts(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	c := &Conversation{ID: conversationID(st), Unread: st.AccountID != r.owner.ID, Accounts: []*Account{}, LastStatus: last}
	seen := map[int64]bool{r.owner.ID: true}
	for _, id := range append([]int64{st.AccountID}, parts.Mentions...) {
		if seen[id] {
			continue
		}
		seen[id] = true
		row, err := r.row(ctx, id)
		if err != nil {
			return nil, err
		}
		a, err := r.account(ctx, row)
		if err != nil {
			return nil, err
		}
		c.Accounts = append(c.Accounts, a)
	}
	return c, nil
}

// conversationID is a stable id for st's thread: a positive 63-bit hash
// of its conversation URI (every status of a thread shares it), or the
// status's own id when it has none.
func conversationID(st *store.Status) string {
	if st.Conversation == "" {
		return store.FormatID(st.ID)
	}
	h := fnv.New64a()
	h.Write([]byte(st.Conversation))
	return strconv.FormatUint(h.Sum64()>>1, 10)
}
