package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// The shape tests check what Roost renders against the Mastodon
// documentation as data (testdata/mastodon-api): every attribute that is
// neither optional nor conditional nor deprecated nor newer than the
// version Roost claims must be present, of the documented JSON kind, and
// null only where nullable.

type apiAttr struct {
	Path        []string `json:"path"`
	Kind        string   `json:"kind"`
	Nullable    bool     `json:"nullable"`
	Optional    bool     `json:"optional"`
	Deprecated  bool     `json:"deprecated"`
	Conditional bool     `json:"conditional"`
	Added       *string  `json:"added"`
	Removed     *string  `json:"removed"`
	Refs        []string `json:"refs"`
	Items       *struct {
		Kind string   `json:"kind"`
		Refs []string `json:"refs"`
	} `json:"items"`
}

type apiEntity struct {
	Extends    *string   `json:"extends"`
	Attributes []apiAttr `json:"attributes"`
}

type apiDoc struct {
	Entities map[string]apiEntity `json:"entities"`
	Aliases  map[string]string    `json:"aliases"`
}

var loadAPIDoc = sync.OnceValues(func() (*apiDoc, error) {
	b, err := os.ReadFile("../testdata/mastodon-api/entities.json")
	if err != nil {
		return nil, err
	}
	var d apiDoc
	return &d, json.Unmarshal(b, &d)
})

// required reports whether an attribute must be present in what Roost
// sends, claiming mastodonVersion.
func (a apiAttr) required() bool {
	if a.Optional || a.Conditional || a.Deprecated || a.Removed != nil {
		return false
	}
	return a.Added == nil || !versionAfter(*a.Added, mastodonVersion)
}

// versionAfter reports whether version a is later than b ("4.4.0" > "4.3.0").
func versionAfter(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x > y
		}
	}
	return false
}

// entityAttrs returns the attributes of an entity (by name or alias),
// those of the entity it extends included.
func entityAttrs(t testing.TB, name string) []apiAttr {
	t.Helper()
	d, err := loadAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	if real, ok := d.Aliases[name]; ok {
		name = real
	}
	e, ok := d.Entities[name]
	if !ok {
		t.Fatalf("no entity %q in entities.json", name)
	}
	attrs := slices.Clone(e.Attributes)
	if e.Extends != nil {
		attrs = append(entityAttrs(t, *e.Extends), attrs...)
	}
	return attrs
}

// checkEntity checks that v (a decoded JSON value) has the documented
// shape of entity name; where is the JSON path so far, for messages.
func checkEntity(t testing.TB, name, where string, v any) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: %s is %T, want an object", where, name, v)
		return
	}
	attrs := entityAttrs(t, name)
	byPath := map[string]apiAttr{}
	for _, a := range attrs {
		byPath[strings.Join(a.Path, ".")] = a
	}
	for _, a := range attrs {
		if a.required() {
			checkPath(t, where, obj, a, 0, byPath)
		}
	}
}

// checkPath walks a.Path from element i of the path in v. An empty path
// element means "each element of an array".
func checkPath(t testing.TB, where string, v any, a apiAttr, i int, byPath map[string]apiAttr) {
	t.Helper()
	if i == len(a.Path) {
		checkValue(t, where, v, a)
		return
	}
	seg := a.Path[i]
	if seg == "" {
		list, ok := v.([]any)
		if !ok {
			t.Errorf("%s: is %T, want an array", where, v)
			return
		}
		for j, el := range list {
			checkPath(t, fmt.Sprintf("%s[%d]", where, j), el, a, i+1, byPath)
		}
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: is %T, want an object", where, v)
		return
	}
	here := where + "." + seg
	child, present := obj[seg]
	last := i == len(a.Path)-1
	if !last {
		// An intermediate object that is itself documented as optional
		// or nullable may be missing or null, and then so is a.
		parent, documented := byPath[strings.Join(a.Path[:i+1], ".")]
		if documented && (!parent.required() && !present || parent.Nullable && child == nil) {
			return
		}
		if !present {
			t.Errorf("%s: missing (needed for %s)", here, strings.Join(a.Path, "."))
			return
		}
	}
	if !present {
		t.Errorf("%s: missing", here)
		return
	}
	checkPath(t, here, child, a, i+1, byPath)
}

// checkValue checks one value against its attribute's kind, and the
// entities it holds against theirs.
func checkValue(t testing.TB, where string, v any, a apiAttr) {
	t.Helper()
	if v == nil {
		if !a.Nullable {
			t.Errorf("%s: null, but not nullable", where)
		}
		return
	}
	if !kindIs(v, a.Kind) {
		t.Errorf("%s: %T %v, want %s", where, v, v, a.Kind)
		return
	}
	switch {
	case a.Kind == "entity" && len(a.Refs) > 0:
		checkEntity(t, a.Refs[0], where, v)
	case a.Kind == "array" && a.Items != nil:
		for j, el := range v.([]any) {
			w := fmt.Sprintf("%s[%d]", where, j)
			if a.Items.Kind == "entity" && len(a.Items.Refs) > 0 {
				checkEntity(t, a.Items.Refs[0], w, el)
			} else if !kindIs(el, a.Items.Kind) {
				t.Errorf("%s: %T %v, want %s", w, el, el, a.Items.Kind)
			}
		}
	}
}

func kindIs(v any, kind string) bool {
	switch kind {
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := v.(float64)
		return ok
	case "object", "entity":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return true // a kind the data does not pin down
}

var (
	mastoDateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	dayRE       = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	numericRE   = regexp.MustCompile(`^[0-9]+$`)
)

// checkStrict asserts what apps are stricter about than the documentation
// (CLIENTS.md 4c), everywhere in v: times with milliseconds in UTC
// (Ice Cubes, Toot!), numeric string ids (Tusky sorts them by length),
// avatars and headers never empty (Tusky#1559).
func checkStrict(t testing.TB, where string, v any) {
	t.Helper()
	switch v := v.(type) {
	case []any:
		for i, el := range v {
			checkStrict(t, fmt.Sprintf("%s[%d]", where, i), el)
		}
	case map[string]any:
		for k, el := range v {
			here := where + "." + k
			s, isString := el.(string)
			switch {
			case k == "role":
				continue // Mastodon's everyone role has id "-99"
			case k == "last_status_at" && el != nil:
				if !dayRE.MatchString(s) {
					t.Errorf("%s = %v, want a date like 2026-11-22", here, el)
				}
			case strings.HasSuffix(k, "_at") && el != nil:
				if !mastoDateRE.MatchString(s) {
					t.Errorf("%s = %v, want a time like 2026-11-22T12:00:00.000Z", here, el)
				}
			case (k == "id" || strings.HasSuffix(k, "_id")) && el != nil:
				if !isString || !numericRE.MatchString(s) {
					t.Errorf("%s = %#v, want a numeric string", here, el)
				}
			case k == "avatar" || k == "avatar_static" || k == "header" || k == "header_static":
				if !isString || !strings.HasPrefix(s, "http") {
					t.Errorf("%s = %#v, want a URL", here, el)
				}
			}
			checkStrict(t, here, el)
		}
	}
}

// checkShape runs both checks on v, a Go value or a decoded document.
func checkShape(t testing.TB, entity string, v any) map[string]any {
	t.Helper()
	m := decodeObject(t, v)
	checkEntity(t, entity, entity, m)
	checkStrict(t, entity, m)
	return m
}

// decodeObject turns v into its JSON object, as an app would see it.
func decodeObject(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return m
}

// entityFixture is a test instance with one of everything: a remote
// account with emoji and a verified field, the owner's public status with
// media, a poll, a mention and a hashtag, a remote reply to it, the
// owner's boost of that reply, a private status, a notification and
// follows both ways.
type entityFixture struct {
	*testEnv
	s              *Server
	bob            *store.Account
	local, reply   *store.Status
	boost, private *store.Status
	notification   *store.Notification
}

func newEntityFixture(t *testing.T) *entityFixture {
	t.Helper()
	e := newTestEnv(t)
	ctx := context.Background()
	log := discardLog()
	fed, err := ap.New(ctx, ap.Config{URLs: e.urls, UserAgent: "Roost/test"}, e.st, log)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, Config{BaseURL: testBase, Version: "0.1.0-test"}, e.st, fed, log)
	if err != nil {
		t.Fatal(err)
	}
	f := &entityFixture{testEnv: e, s: s}
	now := time.Now()
	verified := now.Add(-time.Hour)
	f.bob = &store.Account{
		URI: "https://remote.example/users/bob", Username: "bob", Domain: "remote.example",
		DisplayName: "Bob :blob:", Note: "<p>Remote <em>person</em></p>", URL: "https://remote.example/@bob",
		Inbox: "https://remote.example/users/bob/inbox", ActorType: "Service",
		AvatarURL: "https://remote.example/avatar.png",
		Fields:    []store.Field{{Name: "Web", Value: `<a href="https://bob.example">bob.example</a>`, VerifiedAt: &verified}},
		Emojis: []store.Emoji{{Shortcode: "blob", URL: "https://remote.example/emoji/blob.png"},
			{Shortcode: "broken", URL: ""}},
		FollowersCount: 7, FollowingCount: 3, StatusesCount: 42,
		CreatedAt: time.Date(2020, 5, 17, 15, 4, 5, 0, time.UTC),
	}
	if err := e.st.UpsertRemoteAccount(ctx, f.bob); err != nil {
		t.Fatal(err)
	}
	ends := now.Add(24 * time.Hour)
	f.local = &store.Status{AccountID: e.owner.ID, Local: true, URI: "urn:test:local", Visibility: store.Public,
		Content:  `<p>Hello <a href="https://remote.example/@bob" class="u-url mention">@bob</a> #roost</p>`,
		Language: "en", CreatedAt: now.Add(-time.Hour), Emojis: []store.Emoji{{Shortcode: "blob", URL: "https://remote.example/emoji/blob.png"}}}
	parts := &store.StatusParts{
		Mentions: []int64{f.bob.ID},
		Tags:     []string{"roost"},
		Media: []*store.Media{{Type: "image", MediaType: "image/png", FilePath: "ab/cat.png", PreviewPath: "ab/cat-small.png",
			Description: "A cat", Blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj", Width: 1200, Height: 800, FocusX: 0.25, FocusY: -0.5}},
		Poll: &store.Poll{Options: []store.PollOption{{Title: "Yes", VotesCount: 2}, {Title: "No"}}, VotersCount: 2, ExpiresAt: &ends},
	}
	f.reply = &store.Status{AccountID: f.bob.ID, URI: "https://remote.example/users/bob/statuses/1",
		URL: "https://remote.example/@bob/1", Visibility: store.Unlisted, Content: "<p>Hi back</p>",
		SpoilerText: "cw", Sensitive: true, CreatedAt: now.Add(-30 * time.Minute)}
	replyParts := &store.StatusParts{Media: []*store.Media{{Type: "image", RemoteURL: "https://remote.example/files/dog.jpg"}}}
	f.private = &store.Status{AccountID: e.owner.ID, Local: true, URI: "urn:test:private", Visibility: store.Private,
		Content: "<p>Only followers</p>", CreatedAt: now.Add(-20 * time.Minute)}
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertStatus(f.local, parts); err != nil {
			return err
		}
		f.reply.InReplyToID, f.reply.InReplyToURI, f.reply.InReplyToAccountID = &f.local.ID, f.local.URI, &e.owner.ID
		if err := tx.InsertStatus(f.reply, replyParts); err != nil {
			return err
		}
		f.boost = &store.Status{AccountID: e.owner.ID, Local: true, URI: "urn:test:boost", Visibility: store.Public,
			ReblogOfID: &f.reply.ID, CreatedAt: now.Add(-10 * time.Minute)}
		if err := tx.InsertStatus(f.boost, nil); err != nil {
			return err
		}
		if err := tx.InsertStatus(f.private, nil); err != nil {
			return err
		}
		if _, err := tx.InsertFavourite(e.owner.ID, f.reply.ID, ""); err != nil {
			return err
		}
		f.notification = &store.Notification{Type: store.NotifyFavourite, FromAccountID: f.bob.ID, StatusID: &f.local.ID}
		if _, err := tx.InsertNotification(f.notification); err != nil {
			return err
		}
		if err := tx.InsertFollow(&store.Follow{AccountID: f.bob.ID, TargetAccountID: e.owner.ID, ShowReblogs: true}); err != nil {
			return err
		}
		return tx.InsertFollow(&store.Follow{AccountID: e.owner.ID, TargetAccountID: f.bob.ID, Pending: true, ShowReblogs: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// apiGet fetches an API document anonymously and decodes it.
func (f *entityFixture) apiGet(path string, want int) any {
	f.t.Helper()
	resp, body := f.get(path, "")
	if resp.StatusCode != want {
		f.t.Fatalf("GET %s: status %d, want %d; body %s", path, resp.StatusCode, want, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		f.t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		f.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return v
}

func TestAccountShape(t *testing.T) {
	f := newEntityFixture(t)
	owner := checkShape(t, "Account", f.apiGet("/api/v1/accounts/"+store.FormatID(f.owner.ID), 200))
	if owner["acct"] != "alice" || owner["username"] != "alice" {
		t.Errorf("owner acct %v, username %v", owner["acct"], owner["username"])
	}
	if owner["avatar"] != testBase+"/static/avatar.png" || owner["header"] != testBase+"/static/header.png" {
		t.Errorf("owner images: %v, %v; want the defaults", owner["avatar"], owner["header"])
	}
	if !strings.HasSuffix(owner["created_at"].(string), "T00:00:00.000Z") {
		t.Errorf("created_at %v, want midnight", owner["created_at"])
	}
	// Public and unlisted posts count, boosts do not: local, private.
	if owner["statuses_count"] != 2.0 || owner["followers_count"] != 1.0 || owner["following_count"] != 0.0 {
		t.Errorf("owner counts %v/%v/%v, want 2/1/0", owner["statuses_count"], owner["followers_count"], owner["following_count"])
	}
	if owner["last_status_at"] != time.Now().UTC().Format("2006-01-02") {
		t.Errorf("last_status_at %v", owner["last_status_at"])
	}

	bob := checkShape(t, "Account", f.apiGet("/api/v1/accounts/lookup?acct=@bob@remote.example", 200))
	if bob["acct"] != "bob@remote.example" || bob["bot"] != true || bob["statuses_count"] != 42.0 {
		t.Errorf("remote account: acct %v, bot %v, statuses %v", bob["acct"], bob["bot"], bob["statuses_count"])
	}
	if bob["created_at"] != "2020-05-17T00:00:00.000Z" {
		t.Errorf("remote created_at %v", bob["created_at"])
	}
	if emojis := bob["emojis"].([]any); len(emojis) != 1 {
		t.Errorf("emojis %v, want the one with a URL", emojis)
	} else {
		checkShape(t, "CustomEmoji", emojis[0])
	}
	if fields := bob["fields"].([]any); len(fields) != 1 || fields[0].(map[string]any)["verified_at"] == nil {
		t.Errorf("fields %v", fields)
	}
	if bob["header"] != testBase+"/static/header.png" || bob["avatar"] != "https://remote.example/avatar.png" {
		t.Errorf("remote images %v, %v", bob["avatar"], bob["header"])
	}

	for _, acct := range []string{"alice", "alice@social.example", "@Alice"} {
		got := f.apiGet("/api/v1/accounts/lookup?acct="+acct, 200).(map[string]any)
		if got["id"] != store.FormatID(f.owner.ID) {
			t.Errorf("lookup %s: %v", acct, got["id"])
		}
	}
	for _, path := range []string{"/api/v1/accounts/lookup?acct=carol@remote.example", "/api/v1/accounts/lookup",
		"/api/v1/accounts/123456", "/api/v1/accounts/nope"} {
		checkShape(t, "Error", f.apiGet(path, 404))
	}
}

func TestCredentialAccountShape(t *testing.T) {
	f := newEntityFixture(t)
	v, err := f.s.credentialAccountJSON(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := checkShape(t, "CredentialAccount", v)
	src := m["source"].(map[string]any)
	if src["note"] != "I live in a *hole*." {
		t.Errorf("source.note %q, want the Markdown", src["note"])
	}
	if fields := src["fields"].([]any); len(fields) != 1 || fields[0].(map[string]any)["value"] != "https://alice.example/" {
		t.Errorf("source.fields %v, want the plain text", fields)
	}
	if m["note"] != "<p>I live in a <em>hole</em>.</p>" {
		t.Errorf("note %q, want the HTML", m["note"])
	}
}

func TestStatusShape(t *testing.T) {
	f := newEntityFixture(t)
	ctx := context.Background()

	t.Run("local", func(t *testing.T) {
		m := checkShape(t, "Status", f.apiGet("/api/v1/statuses/"+store.FormatID(f.local.ID), 200))
		if m["url"] != f.urls.StatusPage(f.local.ID) || m["language"] != "en" {
			t.Errorf("url %v, language %v", m["url"], m["language"])
		}
		if _, ok := m["favourited"]; ok {
			t.Error("an anonymous reader sees favourited")
		}
		app, _ := m["application"].(map[string]any)
		if app == nil || app["name"] == "" {
			t.Errorf("application %v", m["application"])
		}
		media := m["media_attachments"].([]any)
		if len(media) != 1 {
			t.Fatalf("media %v", media)
		}
		att := checkShape(t, "MediaAttachment", media[0])
		if att["url"] != testBase+"/media/ab/cat.png" || att["preview_url"] != testBase+"/media/ab/cat-small.png" ||
			att["remote_url"] != nil {
			t.Errorf("media urls %v %v %v", att["url"], att["preview_url"], att["remote_url"])
		}
		meta := att["meta"].(map[string]any)
		orig := meta["original"].(map[string]any)
		if orig["width"] != 1200.0 || orig["size"] != "1200x800" || orig["aspect"] != 1.5 {
			t.Errorf("meta.original %v", orig)
		}
		if focus := meta["focus"].(map[string]any); focus["x"] != 0.25 || focus["y"] != -0.5 {
			t.Errorf("meta.focus %v", focus)
		}
		poll := checkShape(t, "Poll", m["poll"])
		if poll["votes_count"] != 2.0 || poll["expired"] != false || poll["id"] != store.FormatID(f.local.ID) {
			t.Errorf("poll %v", poll)
		}
		for _, o := range poll["options"].([]any) {
			checkShape(t, "Poll::Option", o)
		}
		mentions := m["mentions"].([]any)
		if len(mentions) != 1 {
			t.Fatalf("mentions %v", mentions)
		}
		if mention := checkShape(t, "Status::Mention", mentions[0]); mention["acct"] != "bob@remote.example" ||
			mention["id"] != store.FormatID(f.bob.ID) {
			t.Errorf("mention %v", mention)
		}
		tags := m["tags"].([]any)
		if len(tags) != 1 {
			t.Fatalf("tags %v", tags)
		}
		if tag := checkShape(t, "Status::Tag", tags[0]); tag["name"] != "roost" || tag["url"] != testBase+"/tags/roost" {
			t.Errorf("tag %v", tag)
		}
		if len(m["emojis"].([]any)) != 1 {
			t.Errorf("emojis %v", m["emojis"])
		}
	})

	t.Run("owner view", func(t *testing.T) {
		v, err := f.s.statusJSON(ctx, f.local)
		if err != nil {
			t.Fatal(err)
		}
		m := checkShape(t, "Status", v)
		for _, k := range []string{"favourited", "reblogged", "muted", "bookmarked", "pinned"} {
			if m[k] != false {
				t.Errorf("%s = %v, want false", k, m[k])
			}
		}
		if poll := m["poll"].(map[string]any); poll["voted"] != true || len(poll["own_votes"].([]any)) != 0 {
			t.Errorf("the owner's own poll: voted %v, own_votes %v", poll["voted"], poll["own_votes"])
		}
	})

	t.Run("remote reply", func(t *testing.T) {
		v, err := f.s.statusJSON(ctx, f.reply)
		if err != nil {
			t.Fatal(err)
		}
		m := checkShape(t, "Status", v)
		if m["in_reply_to_id"] != store.FormatID(f.local.ID) || m["in_reply_to_account_id"] != store.FormatID(f.owner.ID) {
			t.Errorf("in_reply_to %v %v", m["in_reply_to_id"], m["in_reply_to_account_id"])
		}
		if _, ok := m["application"]; ok || m["url"] != f.reply.URL || m["language"] != nil || m["poll"] != nil {
			t.Errorf("application %v, url %v, language %v, poll %v", m["application"], m["url"], m["language"], m["poll"])
		}
		if m["favourited"] != true || m["reblogged"] != true {
			t.Errorf("favourited %v, reblogged %v; want both", m["favourited"], m["reblogged"])
		}
		if _, ok := m["pinned"]; ok {
			t.Error("pinned on someone else's status")
		}
		att := m["media_attachments"].([]any)[0].(map[string]any)
		if att["url"] != "https://remote.example/files/dog.jpg" || att["remote_url"] != att["url"] {
			t.Errorf("remote media %v / %v", att["url"], att["remote_url"])
		}
	})

	t.Run("boost", func(t *testing.T) {
		m := checkShape(t, "Status", f.apiGet("/api/v1/statuses/"+store.FormatID(f.boost.ID), 200))
		inner, _ := m["reblog"].(map[string]any)
		if inner == nil || inner["id"] != store.FormatID(f.reply.ID) {
			t.Fatalf("reblog %v", m["reblog"])
		}
		if m["account"].(map[string]any)["id"] != store.FormatID(f.owner.ID) ||
			inner["account"].(map[string]any)["id"] != store.FormatID(f.bob.ID) {
			t.Error("the boost's account is not the booster, or the boosted status's not its author")
		}
	})

	t.Run("not public", func(t *testing.T) {
		checkShape(t, "Error", f.apiGet("/api/v1/statuses/"+store.FormatID(f.private.ID), 404))
		checkShape(t, "Error", f.apiGet("/api/v1/statuses/1", 404))
		v, err := f.s.statusJSON(ctx, f.private)
		if err != nil {
			t.Fatal(err)
		}
		checkShape(t, "Status", v)
	})
}

func TestNotificationShape(t *testing.T) {
	f := newEntityFixture(t)
	v, err := f.s.notificationJSON(context.Background(), f.notification)
	if err != nil {
		t.Fatal(err)
	}
	m := checkShape(t, "Notification", v)
	if m["group_key"] != "ungrouped-"+m["id"].(string) || m["type"] != "favourite" {
		t.Errorf("group_key %v, type %v", m["group_key"], m["type"])
	}
	if m["status"] == nil {
		t.Error("no status")
	} else {
		checkShape(t, "Status", m["status"])
	}
}

func TestRelationshipShape(t *testing.T) {
	f := newEntityFixture(t)
	v, err := f.s.relationshipJSON(context.Background(), f.bob)
	if err != nil {
		t.Fatal(err)
	}
	m := checkShape(t, "Relationship", v)
	want := map[string]any{"following": false, "requested": true, "followed_by": true, "requested_by": false,
		"showing_reblogs": true, "blocking": false, "domain_blocking": false}
	for k, w := range want {
		if m[k] != w {
			t.Errorf("%s = %v, want %v", k, m[k], w)
		}
	}
}

func TestEmojisJSONSkipsEmptyURLs(t *testing.T) {
	got := emojisJSON([]store.Emoji{{Shortcode: "a", URL: "https://x.example/a.png"}, {Shortcode: "b"}, {URL: "https://x.example/c.png"}})
	if len(got) != 1 || got[0].StaticURL != got[0].URL {
		t.Errorf("emojisJSON = %+v", got)
	}
	if got := emojisJSON(nil); got == nil {
		t.Error("emojisJSON(nil) is nil, want []")
	}
}

func TestMastoTime(t *testing.T) {
	at := time.Date(2026, 11, 22, 13, 0, 0, 5e6, time.FixedZone("CET", 3600))
	if got := mastoTime(at); got != "2026-11-22T12:00:00.005Z" {
		t.Errorf("mastoTime = %s", got)
	}
}

// recorder collects the errors a check reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

// TestShapeCheckerCatches makes sure the shape checks fail on what they
// are meant to catch.
func TestShapeCheckerCatches(t *testing.T) {
	f := newEntityFixture(t)
	good, err := f.s.statusJSON(context.Background(), f.local)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mod  func(m map[string]any)
		want string
	}{
		{"missing", func(m map[string]any) { delete(m, "spoiler_text") }, "Status.spoiler_text: missing"},
		{"wrong kind", func(m map[string]any) { m["reblogs_count"] = "3" }, "Status.reblogs_count"},
		{"not an integer", func(m map[string]any) { m["reblogs_count"] = 1.5 }, "Status.reblogs_count"},
		{"null", func(m map[string]any) { m["content"] = nil }, "Status.content: null"},
		{"nested", func(m map[string]any) { delete(m["account"].(map[string]any), "acct") }, "Status.account.acct: missing"},
		{"array element", func(m map[string]any) {
			delete(m["media_attachments"].([]any)[0].(map[string]any), "type")
		}, "Status.media_attachments[0].type: missing"},
		{"date without milliseconds", func(m map[string]any) { m["created_at"] = "2026-11-22T12:00:00Z" }, "Status.created_at"},
		{"id not numeric", func(m map[string]any) { m["id"] = "abc" }, "Status.id"},
		{"empty avatar", func(m map[string]any) { m["account"].(map[string]any)["avatar"] = "" }, "Status.account.avatar"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := decodeObject(t, good)
			tc.mod(m)
			r := &recorder{TB: t}
			checkEntity(r, "Status", "Status", m)
			checkStrict(r, "Status", m)
			if !slices.ContainsFunc(r.errs, func(e string) bool { return strings.HasPrefix(e, tc.want) }) {
				t.Errorf("errors %q, want one starting %q", r.errs, tc.want)
			}
		})
	}
}
