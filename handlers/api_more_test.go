package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// deliverTo sends from's status st to to's shared inbox, as a relay (or a
// boost) would bring a post from someone the owner does not follow.
func deliverTo(t *testing.T, from, to *instance, st *store.Status) {
	t.Helper()
	ctx := context.Background()
	note, err := from.fed.NoteOf(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	act := from.urls.CreateDocument(note, st.CreatedAt)
	body, err := ap.Marshal(ap.WithContext(act))
	if err != nil {
		t.Fatal(err)
	}
	if err := from.fed.Deliver(ctx, act.ID, body, []string{to.urls.SharedInbox()}); err != nil {
		t.Fatal(err)
	}
}

func idsOf(list []jsonObj) []string {
	var out []string
	for _, v := range list {
		out = append(out, v["id"].(string))
	}
	return out
}

func TestBookmarksFavouritesEndorsementsMutesBlocks(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	app := a.api("read write follow")
	bob, carol := a.resolve("bob@b.test"), a.resolve("carol@c.test")
	bobID, carolID := store.FormatID(bob.ID), store.FormatID(carol.ID)

	// Three statuses; bookmark and favourite them in an order different
	// from their ids: the lists follow the bookmark (favourite) order.
	var posts []jsonObj
	for i := range 3 {
		var p jsonObj
		app.do("POST", "/api/v1/statuses", url.Values{"status": {fmt.Sprintf("post %d", i)}}, nil, &p)
		posts = append(posts, p)
	}
	for _, i := range []int{1, 0, 2} {
		app.do("POST", "/api/v1/statuses/"+posts[i]["id"].(string)+"/bookmark", url.Values{}, nil, &jsonObj{})
		app.do("POST", "/api/v1/statuses/"+posts[i]["id"].(string)+"/favourite", url.Values{}, nil, &jsonObj{})
	}
	for _, path := range []string{"/api/v1/bookmarks", "/api/v1/favourites"} {
		var page []jsonObj
		resp := app.do("GET", path+"?limit=2", nil, nil, &page)
		if got := idsOf(page); len(got) != 2 || got[0] != posts[2]["id"] || got[1] != posts[0]["id"] {
			t.Fatalf("%s = %v", path, got)
		}
		next := linkURL(resp.Header.Get("Link"), "next")
		if next == "" {
			t.Fatalf("%s: no next link in %q", path, resp.Header.Get("Link"))
		}
		u, _ := url.Parse(next)
		app.do("GET", u.RequestURI(), nil, nil, &page)
		if got := idsOf(page); len(got) != 1 || got[0] != posts[1]["id"] {
			t.Fatalf("%s page 2 = %v", path, got)
		}
		checkShape(t, "Status", page[0])
	}

	// Endorse bob (followed) but not carol (not followed).
	app.do("POST", "/api/v1/accounts/"+bobID+"/follow", url.Values{}, nil, &jsonObj{})
	settle(t, a, b, c)
	var rel jsonObj
	app.do("POST", "/api/v1/accounts/"+bobID+"/pin", url.Values{}, nil, &rel)
	if rel["endorsed"] != true {
		t.Fatalf("pin: relationship = %v", rel)
	}
	if resp := app.do("POST", "/api/v1/accounts/"+carolID+"/pin", url.Values{}, nil, nil); resp.StatusCode != 422 {
		t.Errorf("pin of an account not followed: %d", resp.StatusCode)
	}
	var accts []jsonObj
	app.do("GET", "/api/v1/endorsements", nil, nil, &accts)
	if len(accts) != 1 || accts[0]["acct"] != "bob@b.test" {
		t.Fatalf("endorsements = %v", accts)
	}
	var rels []jsonObj
	app.do("GET", "/api/v1/accounts/relationships?id[]="+bobID, nil, nil, &rels)
	if rels[0]["endorsed"] != true {
		t.Errorf("relationship.endorsed = %v", rels[0])
	}
	app.do("POST", "/api/v1/accounts/"+bobID+"/unpin", url.Values{}, nil, &rel)
	app.do("GET", "/api/v1/endorsements", nil, nil, &accts)
	if rel["endorsed"] != false || len(accts) != 0 {
		t.Errorf("after unpin: %v, %v", rel, accts)
	}

	// Mutes and blocks.
	app.do("POST", "/api/v1/accounts/"+bobID+"/mute", url.Values{}, nil, &jsonObj{})
	app.do("POST", "/api/v1/accounts/"+carolID+"/block", url.Values{}, nil, &jsonObj{})
	app.do("GET", "/api/v1/mutes", nil, nil, &accts)
	if len(accts) != 1 || accts[0]["acct"] != "bob@b.test" {
		t.Errorf("mutes = %v", accts)
	}
	app.do("GET", "/api/v1/blocks", nil, nil, &accts)
	if len(accts) != 1 || accts[0]["acct"] != "carol@c.test" {
		t.Errorf("blocks = %v", accts)
	}
	checkShape(t, "Account", accts[0])

	// Familiar followers: honestly none; the directory; translation.
	var fam []jsonObj
	app.do("GET", "/api/v1/accounts/familiar_followers?id[]="+bobID+"&id[]="+carolID, nil, nil, &fam)
	if len(fam) != 2 || fam[0]["id"] != bobID || len(fam[0]["accounts"].([]any)) != 0 {
		t.Errorf("familiar_followers = %v", fam)
	}
	checkShape(t, "FamiliarFollowers", fam[1])
	app.do("GET", "/api/v1/directory?local=true", nil, nil, &accts)
	if len(accts) != 1 || accts[0]["acct"] != "alice" {
		t.Errorf("local directory = %v", accts)
	}
	app.do("GET", "/api/v1/directory?order=new&limit=2&offset=1", nil, nil, &accts)
	if len(accts) != 2 {
		t.Errorf("directory page = %v", idsOf(accts))
	}
	var langs jsonObj
	app.do("GET", "/api/v1/instance/translation_languages", nil, nil, &langs)
	if len(langs) != 0 {
		t.Errorf("translation_languages = %v", langs)
	}
	if resp := app.do("POST", "/api/v1/statuses/"+posts[0]["id"].(string)+"/translate", url.Values{}, nil, nil); resp.StatusCode != 503 {
		t.Errorf("translate: %d", resp.StatusCode)
	}
}

func TestDomainBlockSeversFollowsAndDelivery(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	app := a.api("read write follow")
	bob := a.resolve("bob@b.test")
	app.do("POST", "/api/v1/accounts/"+store.FormatID(bob.ID)+"/follow", url.Values{}, nil, &jsonObj{})
	b.followHandle("alice@a.test")
	settle(t, a, b)
	if !a.follows(a.owner.ID, bob.ID) || !a.follows(bob.ID, a.owner.ID) {
		t.Fatal("follows both ways not set up")
	}

	if resp := app.do("POST", "/api/v1/domain_blocks", url.Values{"domain": {"not a domain"}}, nil, nil); resp.StatusCode != 422 {
		t.Errorf("bad domain: %d", resp.StatusCode)
	}
	app.do("POST", "/api/v1/domain_blocks", url.Values{"domain": {"B.test"}}, nil, &jsonObj{})
	if a.follows(a.owner.ID, bob.ID) || a.follows(bob.ID, a.owner.ID) {
		t.Error("follows with the blocked domain remain")
	}
	var domains []string
	app.do("GET", "/api/v1/domain_blocks", nil, nil, &domains)
	if len(domains) != 1 || domains[0] != "b.test" {
		t.Errorf("domain_blocks = %v", domains)
	}
	var rels []jsonObj
	app.do("GET", "/api/v1/accounts/relationships?id[]="+store.FormatID(bob.ID), nil, nil, &rels)
	if rels[0]["domain_blocking"] != true || rels[0]["following"] != false {
		t.Errorf("relationship = %v", rels[0])
	}

	// A post mentioning bob is not delivered to the blocked domain.
	var p jsonObj
	app.do("POST", "/api/v1/statuses", url.Values{"status": {"hello @bob@b.test"}}, nil, &p)
	settle(t, a, b)
	if b.status(p["uri"].(string)) != nil {
		t.Error("a status reached the blocked domain")
	}

	req := url.Values{"domain": {"b.test"}}
	app.do("DELETE", "/api/v1/domain_blocks?"+req.Encode(), nil, nil, &jsonObj{})
	app.do("GET", "/api/v1/domain_blocks", nil, nil, &domains)
	if len(domains) != 0 {
		t.Errorf("after unblock: %v", domains)
	}
}

func TestHashtagsFeaturedAndFollowed(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	app := a.api("read write follow")
	ctx := context.Background()

	// A follower on b, to see the actor Update.
	b.followHandle("alice@a.test")
	settle(t, a, b)

	app.do("POST", "/api/v1/statuses", url.Values{"status": {"cats #Cats #dogs"}}, nil, &jsonObj{})
	var sugg []jsonObj
	app.do("GET", "/api/v1/featured_tags/suggestions", nil, nil, &sugg)
	if len(sugg) != 2 {
		t.Fatalf("suggestions = %v", sugg)
	}
	checkShape(t, "Tag", sugg[0])

	var ft jsonObj
	app.do("POST", "/api/v1/featured_tags", url.Values{"name": {"#Cats"}}, nil, &ft)
	checkShape(t, "FeaturedTag", ft)
	if ft["name"] != "cats" || ft["statuses_count"] != "1" || ft["last_status_at"] == nil {
		t.Errorf("featured tag = %v", ft)
	}
	if resp := app.do("POST", "/api/v1/featured_tags", url.Values{"name": {"cats"}}, nil, nil); resp.StatusCode != 422 {
		t.Errorf("featuring twice: %d", resp.StatusCode)
	}
	var list []jsonObj
	app.do("GET", "/api/v1/featured_tags", nil, nil, &list)
	if len(list) != 1 {
		t.Errorf("featured_tags = %v", list)
	}
	app.do("GET", "/api/v1/accounts/"+store.FormatID(a.owner.ID)+"/featured_tags", nil, nil, &list)
	if len(list) != 1 || list[0]["id"] != ft["id"] {
		t.Errorf("account featured_tags = %v", list)
	}

	// The actor's featuredTags collection lists it, and followers got the
	// actor again.
	settle(t, a, b)
	coll := getAP(t, n, a.urls.FeaturedTags())
	items, _ := coll["items"].([]any)
	if coll["type"] != "Collection" || len(items) != 1 {
		t.Fatalf("featuredTags collection = %v", coll)
	}
	if h := items[0].(map[string]any); h["type"] != "Hashtag" || h["name"] != "#cats" || h["href"] != a.urls.Tag("cats") {
		t.Errorf("featured hashtag = %v", h)
	}

	app.do("DELETE", "/api/v1/featured_tags/"+ft["id"].(string), nil, nil, &jsonObj{})
	app.do("GET", "/api/v1/featured_tags", nil, nil, &list)
	if len(list) != 0 {
		t.Errorf("after delete: %v", list)
	}
	if resp := app.do("DELETE", "/api/v1/featured_tags/"+ft["id"].(string), nil, nil, nil); resp.StatusCode != 404 {
		t.Errorf("deleting again: %d", resp.StatusCode)
	}

	// Follow #birds: bob, known but not followed, posts with it and the
	// post reaches alice's home timeline; one without it does not.
	var tag jsonObj
	app.do("POST", "/api/v1/tags/Birds/follow", url.Values{}, nil, &tag)
	checkShape(t, "Tag", tag)
	if tag["following"] != true || tag["name"] != "birds" {
		t.Errorf("follow tag = %v", tag)
	}
	var followed []jsonObj
	app.do("GET", "/api/v1/followed_tags", nil, nil, &followed)
	if len(followed) != 1 || followed[0]["name"] != "birds" {
		t.Errorf("followed_tags = %v", followed)
	}
	a.resolve("bob@b.test")
	tagged, err := b.fed.Post(ctx, ap.PostInput{Content: `<p>look <a href="http://b.test/tags/birds" class="mention hashtag" rel="tag">#<span>birds</span></a></p>`,
		Visibility: store.Public, Tags: []string{"birds"}})
	if err != nil {
		t.Fatal(err)
	}
	untagged := b.post("<p>no tag</p>", store.Public)
	deliverTo(t, b, a, tagged)
	deliverTo(t, b, a, untagged)
	settle(t, a, b)
	var home []jsonObj
	app.do("GET", "/api/v1/timelines/home", nil, nil, &home)
	found := false
	for _, st := range home {
		found = found || st["uri"] == tagged.URI
		if st["uri"] == untagged.URI {
			t.Error("a post without a followed tag is on home")
		}
	}
	if !found {
		t.Errorf("tagged post not on home: %v", home)
	}
	app.do("POST", "/api/v1/tags/birds/unfollow", url.Values{}, nil, &tag)
	if tag["following"] != false {
		t.Errorf("unfollow tag = %v", tag)
	}
	app.do("GET", "/api/v1/timelines/home", nil, nil, &home)
	for _, st := range home {
		if st["uri"] == tagged.URI {
			t.Error("tagged post still on home after unfollowing the tag")
		}
	}
	var got jsonObj
	app.do("GET", "/api/v1/tags/birds", nil, nil, &got)
	if got["following"] != false || len(got["history"].([]any)) != 7 {
		t.Errorf("tag = %v", got)
	}
}

// getAP fetches an ActivityPub document over the test network.
func getAP(t *testing.T, n *fedNet, u string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", asJSON)
	resp, err := (&http.Client{Transport: &http.Transport{DialContext: n.dial}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConversationsAndMutes(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	app := a.api("read write follow")
	aliceAtB := b.resolve("alice@a.test")

	dm := b.post("<p>psst</p>", store.Direct, aliceAtB)
	settle(t, a, b)
	var convs []jsonObj
	app.do("GET", "/api/v1/conversations", nil, nil, &convs)
	if len(convs) != 1 || convs[0]["unread"] != true {
		t.Fatalf("conversations = %v", convs)
	}
	checkShape(t, "Conversation", convs[0])
	conv := convs[0]
	last := conv["last_status"].(jsonObj)
	if last["uri"] != dm.URI || len(conv["accounts"].([]any)) != 1 {
		t.Errorf("conversation = %v", conv)
	}

	var read jsonObj
	app.do("POST", "/api/v1/conversations/"+conv["id"].(string)+"/read", url.Values{}, nil, &read)
	if read["unread"] != false || read["id"] != conv["id"] {
		t.Errorf("read = %v", read)
	}

	// Alice answers in the thread: still one conversation, same id.
	var reply jsonObj
	app.do("POST", "/api/v1/statuses", url.Values{"status": {"@bob@b.test hi"}, "visibility": {"direct"},
		"in_reply_to_id": {last["id"].(string)}}, nil, &reply)
	app.do("GET", "/api/v1/conversations", nil, nil, &convs)
	if len(convs) != 1 || convs[0]["id"] != conv["id"] || convs[0]["last_status"].(jsonObj)["id"] != reply["id"] || convs[0]["unread"] != false {
		t.Fatalf("after the reply: %v", convs)
	}

	// Mute the thread: bob's next message does not notify.
	var muted jsonObj
	app.do("POST", "/api/v1/statuses/"+last["id"].(string)+"/mute", url.Values{}, nil, &muted)
	if muted["muted"] != true {
		t.Errorf("mute: muted = %v", muted["muted"])
	}
	settle(t, a, b)
	n.advance(2 * time.Second) // remote ids come from published times, in seconds
	before := len(a.notifications(store.NotifyMention))
	again, err := b.fed.Post(context.Background(), ap.PostInput{Content: "<p>again</p>", Visibility: store.Direct,
		Mentions: []*store.Account{aliceAtB}, InReplyTo: b.status(reply["uri"].(string))})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	if a.status(again.URI) == nil {
		t.Fatal("the reply in the muted thread was not stored")
	}
	if got := len(a.notifications(store.NotifyMention)); got != before {
		t.Errorf("mentions in a muted thread notified: %d, want %d", got, before)
	}
	app.do("POST", "/api/v1/statuses/"+last["id"].(string)+"/unmute", url.Values{}, nil, &muted)
	if muted["muted"] != false {
		t.Errorf("unmute: muted = %v", muted["muted"])
	}

	// Deleting hides it until someone writes again.
	app.do("GET", "/api/v1/conversations", nil, nil, &convs)
	if len(convs) != 1 || convs[0]["unread"] != true {
		t.Fatalf("before delete: %v", convs)
	}
	app.do("DELETE", "/api/v1/conversations/"+conv["id"].(string), nil, nil, &jsonObj{})
	app.do("GET", "/api/v1/conversations", nil, nil, &convs)
	if len(convs) != 0 {
		t.Fatalf("after delete: %v", convs)
	}
	if resp := app.do("POST", "/api/v1/conversations/"+conv["id"].(string)+"/read", url.Values{}, nil, nil); resp.StatusCode != 404 {
		t.Errorf("read of a deleted conversation: %d", resp.StatusCode)
	}
	n.advance(2 * time.Second)
	b.post("<p>still there?</p>", store.Direct, aliceAtB)
	settle(t, a, b)
	app.do("GET", "/api/v1/conversations", nil, nil, &convs)
	if len(convs) != 1 {
		t.Errorf("after a new message: %v", convs)
	}
}

func TestLinkPreviewCard(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	app := a.api("read write")
	hits := 0
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/article":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="An &amp; article">
<meta property="og:description" content="What it says">
<meta property="og:image" content="/img/cover.png">
<meta property="og:site_name" content="News">
<meta property="article:published_time" content="2026-11-20T08:00:00+01:00">
</head><body><p>text</p></body></html>`)
		case "/plain":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "not a page")
		}
	}))
	t.Cleanup(page.Close)
	n.mu.Lock()
	n.addrs["news.test"] = strings.TrimPrefix(page.URL, "http://")
	n.mu.Unlock()

	var st jsonObj
	app.do("POST", "/api/v1/statuses", url.Values{"status": {"#news by @alice: read http://news.test/article now"}}, nil, &st)
	if st["card"] != nil {
		t.Errorf("card before any fetch = %v", st["card"])
	}
	var card jsonObj
	app.do("GET", "/api/v1/statuses/"+st["id"].(string)+"/card", nil, nil, &card)
	checkShape(t, "PreviewCard", card)
	if card["title"] != "An & article" || card["description"] != "What it says" || card["provider_name"] != "News" ||
		card["image"] != "http://news.test/img/cover.png" || card["url"] != "http://news.test/article" || card["type"] != "link" {
		t.Errorf("card = %v", card)
	}
	if card["published_at"] != "2026-11-20T07:00:00.000Z" {
		t.Errorf("published_at = %v", card["published_at"])
	}
	app.do("GET", "/api/v1/statuses/"+st["id"].(string)+"/card", nil, nil, &card)
	if hits != 1 {
		t.Errorf("page fetched %d times, want once (cached)", hits)
	}
	var again jsonObj
	app.do("GET", "/api/v1/statuses/"+st["id"].(string), nil, nil, &again)
	if c, ok := again["card"].(jsonObj); !ok || c["title"] != "An & article" {
		t.Errorf("status card = %v", again["card"])
	}
	checkShape(t, "Status", again)

	// A link to something that is not a page, and no link at all: 404.
	var other jsonObj
	app.do("POST", "/api/v1/statuses", url.Values{"status": {"http://news.test/plain"}}, nil, &other)
	if resp := app.do("GET", "/api/v1/statuses/"+other["id"].(string)+"/card", nil, nil, nil); resp.StatusCode != 404 {
		t.Errorf("card of a non-page: %d", resp.StatusCode)
	}
	app.do("POST", "/api/v1/statuses", url.Values{"status": {"no links"}}, nil, &other)
	if resp := app.do("GET", "/api/v1/statuses/"+other["id"].(string)+"/card", nil, nil, nil); resp.StatusCode != 404 {
		t.Errorf("card without a link: %d", resp.StatusCode)
	}
}
