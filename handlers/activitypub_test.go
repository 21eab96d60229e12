package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"roost/ap"
	"roost/store"
)

// fixture reads a file from the shared ActivityPub fixtures.
func fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "activitypub", name))
	if err != nil {
		t.Fatalf("fixture %s: %v ", name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// TestActorMatchesMastodon checks the actor field by field against an actor
// Mastodon serves: every field it has, ours has with the same JSON type.
func TestActorMatchesMastodon(t *testing.T) {
	e := newTestEnv(t)
	for _, accept := range []string{
		"application/activity+json",
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
		"application/ld+json",
		"application/activity+json, application/ld+json",
	} {
		t.Run(accept, func(t *testing.T) {
			resp, _ := e.get("/users/alice", accept)
			if v := resp.Header.Get("Vary"); !strings.Contains(v, "Accept") {
				t.Errorf("Vary = %q", v)
			}
			actor := e.getJSON("/users/alice", accept, 200, "application/activity+json")
			checkActor(t, e, actor)
		})
	}
}

func checkActor(t *testing.T, e *testEnv, actor map[string]any) {
	t.Helper()
	want := fixture(t, "mastodon_actor_person.json")
	// Mastodon's end-to-end encryption devices are not something Roost has.
	delete(want, "devices")
	for k, v := range want {
		got, ok := actor[k]
		if !ok {
			t.Errorf("field %q missing", k)
			continue
		}
		if kind(got) != kind(v) {
			t.Errorf("field %q is %s, Mastodon sends %s", k, kind(got), kind(v))
		}
	}
	for _, k := range []string{"indexable", "memorial", "webfinger", "image"} {
		if _, ok := actor[k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	ctx := actor["@context"].([]any)
	if ctx[0] != "https://www.w3.org/ns/activitystreams" || ctx[1] != "https://w3id.org/security/v1" {
		t.Errorf("@context starts %v", ctx[:2])
	}
	terms := ctx[2].(map[string]any)
	for _, term := range []string{"manuallyApprovesFollowers", "toot", "featured", "featuredTags", "alsoKnownAs",
		"movedTo", "schema", "PropertyValue", "value", "discoverable", "indexable", "focalPoint"} {
		if _, ok := terms[term]; !ok {
			t.Errorf("@context lacks %q", term)
		}
	}
	actorID := testBase + "/users/alice"
	checks := map[string]any{
		"id": actorID, "type": "Person", "preferredUsername": "alice", "name": "Alice Liddell",
		"summary": "<p>I live in a <em>hole</em>.</p>", "url": testBase + "/@alice",
		"inbox": actorID + "/inbox", "outbox": actorID + "/outbox", "followers": actorID + "/followers",
		"following": actorID + "/following", "featured": actorID + "/collections/featured",
		"featuredTags": actorID + "/collections/tags", "manuallyApprovesFollowers": false,
		"discoverable": true, "indexable": true, "webfinger": "acct:alice@social.example",
	}
	for k, v := range checks {
		if actor[k] != v {
			t.Errorf("%s = %v, want %v", k, actor[k], v)
		}
	}
	if ep := actor["endpoints"].(map[string]any); ep["sharedInbox"] != testBase+"/inbox" {
		t.Errorf("sharedInbox = %v", ep["sharedInbox"])
	}
	pk := actor["publicKey"].(map[string]any)
	if pk["id"] != actorID+"#main-key" || pk["owner"] != actorID {
		t.Errorf("publicKey id/owner = %v / %v", pk["id"], pk["owner"])
	}
	pem := pk["publicKeyPem"].(string)
	if !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("publicKeyPem is not SPKI PEM: %.40q", pem)
	}
	if _, err := ap.ParsePublicKeyPEM(pem); err != nil {
		t.Errorf("publicKeyPem does not parse: %v", err)
	}
	for _, k := range []string{"icon", "image"} {
		img := actor[k].(map[string]any)
		if img["type"] != "Image" || img["mediaType"] != "image/png" || !strings.HasPrefix(img["url"].(string), testBase+"/static/") {
			t.Errorf("%s = %v", k, img)
		}
	}
	if p := actor["published"].(string); !strings.HasSuffix(p, "T00:00:00Z") {
		t.Errorf("published = %q, want midnight of the creation day", p)
	}
	att := actor["attachment"].([]any)
	if len(att) != 1 {
		t.Fatalf("attachment = %v", att)
	}
	f := att[0].(map[string]any)
	if f["type"] != "PropertyValue" || f["name"] != "Site" || !strings.Contains(f["value"].(string), "https://alice.example/") {
		t.Errorf("profile field = %v", f)
	}
}

func TestActorContentNegotiation(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct {
		accept, wantType string
		status           int
	}{
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html", 200},
		{"", "text/html", 200},
		{"*/*", "text/html", 200},
		{"application/json", "application/activity+json", 200},
		{"image/png", "text/plain", 406},
	} {
		resp, body := e.get("/users/alice", c.accept)
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.wantType) {
			t.Errorf("Accept %q: %d %q, want %d %q", c.accept, resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.wantType)
		}
		if c.wantType == "text/html" && !strings.Contains(body, "Alice Liddell") {
			t.Errorf("Accept %q: HTML profile lacks the name", c.accept)
		}
		if v := resp.Header.Get("Vary"); c.status == 200 && !strings.Contains(v, "Accept") {
			t.Errorf("Accept %q: Vary = %q", c.accept, v)
		}
	}
	for _, path := range []string{"/users/bob", "/users/bob/outbox", "/users/Alice", "/users/alice/statuses/123"} {
		if resp, _ := e.get(path, asJSON); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	// The profile page address also answers with the actor to AP clients.
	if m := e.getJSON("/@alice", asJSON, 200, asJSON); m["id"] != testBase+"/users/alice" {
		t.Errorf("/@alice as JSON: id %v", m["id"])
	}
}

func TestOutboxAndStatuses(t *testing.T) {
	e := newTestEnv(t)
	pub := e.post("<p>hello world</p>", func(s *store.Status) { s.Language = "en" })
	unlisted := e.post("<p>quiet</p>", func(s *store.Status) { s.Visibility = store.Unlisted })
	priv := e.post("<p>followers only</p>", func(s *store.Status) { s.Visibility = store.Private })
	dm := e.post("<p>secret</p>", func(s *store.Status) { s.Visibility = store.Direct })
	reply := e.post("<p>and more</p>", func(s *store.Status) {
		s.InReplyToID, s.InReplyToURI = &pub.ID, e.urls.Status(pub.ID)
		s.SpoilerText, s.Sensitive = "spoilers", true
	})

	out := e.getJSON("/users/alice/outbox", asJSON, 200, asJSON)
	if out["type"] != "OrderedCollection" || out["totalItems"] != 3.0 || out["first"] != testBase+"/users/alice/outbox?page=true" {
		t.Errorf("outbox = %v", out)
	}
	page := e.getJSON("/users/alice/outbox?page=true", asJSON, 200, asJSON)
	items := page["orderedItems"].([]any)
	if page["type"] != "OrderedCollectionPage" || page["partOf"] != testBase+"/users/alice/outbox" || len(items) != 3 {
		t.Fatalf("outbox page = %v", page)
	}
	first := items[0].(map[string]any)
	note := first["object"].(map[string]any)
	if first["type"] != "Create" || first["id"] != e.urls.Status(reply.ID)+"/activity" || note["id"] != e.urls.Status(reply.ID) {
		t.Errorf("newest item = %v", first)
	}
	for _, it := range items {
		id := it.(map[string]any)["object"].(map[string]any)["id"]
		if id == e.urls.Status(priv.ID) || id == e.urls.Status(dm.ID) {
			t.Errorf("outbox lists non-public status %v", id)
		}
	}

	// A status at its id.
	n := e.getJSON("/users/alice/statuses/"+store.FormatID(pub.ID), asJSON, 200, asJSON)
	wantNote := map[string]any{
		"id": e.urls.Status(pub.ID), "type": "Note", "attributedTo": testBase + "/users/alice",
		"content": "<p>hello world</p>", "url": e.urls.StatusPage(pub.ID), "sensitive": false,
	}
	for k, v := range wantNote {
		if n[k] != v {
			t.Errorf("note %s = %v, want %v", k, n[k], v)
		}
	}
	if to := n["to"].([]any); len(to) != 1 || to[0] != ap.Public {
		t.Errorf("public note to = %v", to)
	}
	if cc := n["cc"].([]any); len(cc) != 1 || cc[0] != testBase+"/users/alice/followers" {
		t.Errorf("public note cc = %v", cc)
	}
	if cm := n["contentMap"].(map[string]any); cm["en"] != "<p>hello world</p>" {
		t.Errorf("contentMap = %v", cm)
	}
	un := e.getJSON("/users/alice/statuses/"+store.FormatID(unlisted.ID), asJSON, 200, asJSON)
	if to, cc := un["to"].([]any), un["cc"].([]any); to[0] != testBase+"/users/alice/followers" || cc[0] != ap.Public {
		t.Errorf("unlisted to %v cc %v", to, cc)
	}
	r := e.getJSON("/users/alice/statuses/"+store.FormatID(reply.ID), asJSON, 200, asJSON)
	if r["inReplyTo"] != e.urls.Status(pub.ID) || r["summary"] != "spoilers" || r["sensitive"] != true {
		t.Errorf("reply = %v", r)
	}
	act := e.getJSON("/users/alice/statuses/"+store.FormatID(pub.ID)+"/activity", asJSON, 200, asJSON)
	if act["type"] != "Create" || act["actor"] != testBase+"/users/alice" || act["object"].(map[string]any)["id"] != e.urls.Status(pub.ID) {
		t.Errorf("activity = %v", act)
	}
	// Unsigned requests never see followers-only or direct statuses.
	for _, st := range []*store.Status{priv, dm} {
		for _, path := range []string{"/users/alice/statuses/" + store.FormatID(st.ID), "/@alice/" + store.FormatID(st.ID)} {
			if resp, _ := e.get(path, asJSON); resp.StatusCode != 404 {
				t.Errorf("GET %s (%s): %d, want 404", path, st.Visibility, resp.StatusCode)
			}
		}
	}
	// Browsers asking for the id go to the page.
	resp, _ := e.get("/users/alice/statuses/"+store.FormatID(pub.ID), "text/html")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != e.urls.StatusPage(pub.ID) {
		t.Errorf("browser GET of a status id: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestOutboxPaging(t *testing.T) {
	e := newTestEnv(t)
	for i := 0; i < 25; i++ {
		e.post(fmt.Sprintf("<p>post %d</p>", i), nil)
	}
	seen := map[string]bool{}
	next := "/users/alice/outbox?page=true"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("outbox paging does not end")
		}
		page := e.getJSON(next, asJSON, 200, asJSON)
		items := page["orderedItems"].([]any)
		for _, it := range items {
			id := it.(map[string]any)["id"].(string)
			if seen[id] {
				t.Errorf("%s seen twice", id)
			}
			seen[id] = true
		}
		next = ""
		if n, ok := page["next"].(string); ok && len(items) > 0 {
			next = strings.TrimPrefix(n, testBase)
		}
	}
	if len(seen) != 25 {
		t.Errorf("paging saw %d items, want 25", len(seen))
	}
}

func TestFollowCollectionsAndFeatured(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		a := &store.Account{URI: fmt.Sprintf("https://remote.example/users/u%d", i), Username: fmt.Sprintf("u%d", i), Domain: "remote.example"}
		if err := e.st.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := e.st.InsertFollow(ctx, &store.Follow{AccountID: a.ID, TargetAccountID: e.owner.ID, Pending: i == 2}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := e.st.InsertFollow(ctx, &store.Follow{AccountID: e.owner.ID, TargetAccountID: a.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := e.getJSON("/users/alice/followers", asJSON, 200, asJSON)
	if f["type"] != "OrderedCollection" || f["totalItems"] != 2.0 || f["id"] != testBase+"/users/alice/followers" {
		t.Errorf("followers = %v", f)
	}
	fp := e.getJSON("/users/alice/followers?page=true", asJSON, 200, asJSON)
	if items := fp["orderedItems"].([]any); len(items) != 2 || items[0] != "https://remote.example/users/u1" {
		t.Errorf("followers page = %v", items)
	}
	g := e.getJSON("/users/alice/following", asJSON, 200, asJSON)
	if g["totalItems"] != 1.0 {
		t.Errorf("following = %v", g)
	}
	pinned := e.post("<p>pinned</p>", nil)
	e.post("<p>not pinned</p>", nil)
	if err := e.st.SetPinned(ctx, pinned.ID, true); err != nil {
		t.Fatal(err)
	}
	feat := e.getJSON("/users/alice/collections/featured", asJSON, 200, asJSON)
	items := feat["orderedItems"].([]any)
	if feat["totalItems"] != 1.0 || len(items) != 1 || items[0].(map[string]any)["id"] != e.urls.Status(pinned.ID) {
		t.Errorf("featured = %v", feat)
	}
	tags := e.getJSON("/users/alice/collections/tags", asJSON, 200, asJSON)
	if tags["type"] != "Collection" || tags["totalItems"] != 0.0 {
		t.Errorf("featured tags = %v", tags)
	}
}
