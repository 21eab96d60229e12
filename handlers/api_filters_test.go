package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"roost/store"
)

func TestFiltersV2ThroughTheAPI(t *testing.T) {
	e := newTestEnv(t)
	c := lfClient{e, e.oauthToken("read write")}
	st := e.post("<p>a status</p>", nil)

	var f map[string]any
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Books", "context": []string{"home", "public"},
		"filter_action": "hide", "expires_in": 3600,
		"keywords_attributes": []map[string]any{{"keyword": "dune", "whole_word": false}, {"keyword": "arrakis"}}}, 200, &f)
	checkShape(t, "Filter", f)
	id := f["id"].(string)
	kws := f["keywords"].([]any)
	if f["filter_action"] != "hide" || f["expires_at"] == nil || len(kws) != 2 || len(f["statuses"].([]any)) != 0 {
		t.Fatalf("new filter = %v", f)
	}
	if k := kws[0].(map[string]any); k["keyword"] != "dune" || k["whole_word"] != false {
		t.Errorf("keyword 0 = %v", k)
	}
	if k := kws[1].(map[string]any); k["whole_word"] != true {
		t.Errorf("whole_word defaults to true: %v", k)
	}
	c.do("POST", "/api/v2/filters", map[string]any{"title": "x"}, 422, nil)
	c.do("POST", "/api/v2/filters", map[string]any{"title": "x", "context": []string{"nowhere"}}, 422, nil)
	c.do("POST", "/api/v2/filters", map[string]any{"title": "x", "context": []string{"home"}, "filter_action": "zap"}, 422, nil)

	// Keywords, by their own endpoints.
	var k map[string]any
	c.do("POST", "/api/v2/filters/"+id+"/keywords", map[string]any{"keyword": "spice", "whole_word": false}, 200, &k)
	checkShape(t, "FilterKeyword", k)
	kid := k["id"].(string)
	c.do("PUT", "/api/v2/filters/keywords/"+kid, map[string]any{"keyword": "melange"}, 200, &k)
	if k["keyword"] != "melange" || k["whole_word"] != false {
		t.Errorf("updated keyword = %v", k)
	}
	c.do("GET", "/api/v2/filters/keywords/"+kid, nil, 200, &k)
	var list []map[string]any
	c.do("GET", "/api/v2/filters/"+id+"/keywords", nil, 200, &list)
	if len(list) != 3 {
		t.Errorf("keywords = %v", list)
	}
	c.do("DELETE", "/api/v2/filters/keywords/"+kid, nil, 200, nil)
	c.do("GET", "/api/v2/filters/keywords/"+kid, nil, 404, nil)

	// Statuses.
	var fs map[string]any
	c.do("POST", "/api/v2/filters/"+id+"/statuses", map[string]any{"status_id": store.FormatID(st.ID)}, 200, &fs)
	checkShape(t, "FilterStatus", fs)
	c.do("POST", "/api/v2/filters/"+id+"/statuses", map[string]any{"status_id": store.FormatID(st.ID)}, 422, nil)
	c.do("POST", "/api/v2/filters/"+id+"/statuses", map[string]any{"status_id": "12345"}, 404, nil)
	c.do("GET", "/api/v2/filters/statuses/"+fs["id"].(string), nil, 200, &fs)
	c.do("GET", "/api/v2/filters/"+id+"/statuses", nil, 200, &list)
	if len(list) != 1 || list[0]["status_id"] != store.FormatID(st.ID) {
		t.Errorf("statuses = %v", list)
	}
	c.do("DELETE", "/api/v2/filters/statuses/"+fs["id"].(string), nil, 200, nil)
	c.do("GET", "/api/v2/filters/statuses/"+fs["id"].(string), nil, 404, nil)

	// Update with keywords_attributes, as a form: drop dune, rename
	// arrakis, add one; and no expiry.
	dune, arrakis := kws[0].(map[string]any)["id"].(string), kws[1].(map[string]any)["id"].(string)
	form := url.Values{"title": {"Desert"}, "expires_in": {""}, "filter_action": {"warn"},
		"keywords_attributes[0][id]": {dune}, "keywords_attributes[0][_destroy]": {"true"},
		"keywords_attributes[1][id]": {arrakis}, "keywords_attributes[1][keyword]": {"Arrakeen"},
		"keywords_attributes[2][keyword]": {"sandworm"}}
	resp, body := e.oaDo("PUT", "/api/v2/filters/"+id, "application/x-www-form-urlencoded",
		strings.NewReader(form.Encode()), oaBearer(c.tok))
	if resp.StatusCode != 200 {
		t.Fatalf("PUT filter: %d %s", resp.StatusCode, body)
	}
	f = oaDecode(t, body)
	kws = f["keywords"].([]any)
	if f["title"] != "Desert" || f["expires_at"] != nil || f["filter_action"] != "warn" || len(kws) != 2 ||
		kws[0].(map[string]any)["keyword"] != "Arrakeen" || kws[0].(map[string]any)["whole_word"] != true ||
		kws[1].(map[string]any)["keyword"] != "sandworm" {
		t.Errorf("updated filter = %v", f)
	}
	// Another filter's keyword cannot be edited through this one.
	var f2 map[string]any
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Other", "context": []string{"thread"},
		"keywords_attributes": []map[string]any{{"keyword": "x"}}}, 200, &f2)
	other := f2["keywords"].([]any)[0].(map[string]any)["id"].(string)
	c.do("PUT", "/api/v2/filters/"+id, map[string]any{"keywords_attributes": []map[string]any{{"id": other, "_destroy": true}}}, 404, nil)

	var all []map[string]any
	c.do("GET", "/api/v2/filters", nil, 200, &all)
	if len(all) != 2 {
		t.Errorf("filters = %d", len(all))
	}
	c.do("DELETE", "/api/v2/filters/"+id, nil, 200, nil)
	c.do("GET", "/api/v2/filters/"+id, nil, 404, nil)
	c.do("GET", "/api/v2/filters/"+id+"/keywords", nil, 404, nil)

	ro := lfClient{e, e.oauthToken("read:filters")}
	ro.do("GET", "/api/v2/filters", nil, 200, nil)
	ro.do("POST", "/api/v2/filters", map[string]any{"title": "x", "context": []string{"home"}}, 403, nil)
}

func TestV1Filters(t *testing.T) {
	e := newTestEnv(t)
	c := lfClient{e, e.oauthToken("read write")}
	var v map[string]any
	c.do("POST", "/api/v1/filters", map[string]any{"phrase": "politics", "context": []string{"home", "notifications"},
		"irreversible": true, "whole_word": false}, 200, &v)
	checkShape(t, "V1_Filter", v)
	if v["phrase"] != "politics" || v["irreversible"] != true || v["whole_word"] != false || v["expires_at"] != nil {
		t.Errorf("v1 filter = %v", v)
	}
	id := v["id"].(string)
	c.do("POST", "/api/v1/filters", map[string]any{"phrase": "", "context": []string{"home"}}, 422, nil)

	// It is a v2 filter with one keyword.
	var all []map[string]any
	c.do("GET", "/api/v2/filters", nil, 200, &all)
	if len(all) != 1 || all[0]["filter_action"] != "hide" || all[0]["title"] != "politics" {
		t.Errorf("v2 view = %v", all)
	}
	c.do("PUT", "/api/v1/filters/"+id, map[string]any{"phrase": "elections", "irreversible": false, "expires_in": 60}, 200, &v)
	if v["phrase"] != "elections" || v["irreversible"] != false || v["expires_at"] == nil {
		t.Errorf("updated v1 filter = %v", v)
	}
	c.do("GET", "/api/v1/filters/"+id, nil, 200, &v)
	var v1s []map[string]any
	c.do("GET", "/api/v1/filters", nil, 200, &v1s)
	if len(v1s) != 1 || v1s[0]["phrase"] != "elections" {
		t.Errorf("v1 filters = %v", v1s)
	}
	// A second keyword (added through v2) makes the settings shared:
	// the v1 API may change the phrase but not the context.
	c.do("POST", "/api/v2/filters/"+all[0]["id"].(string)+"/keywords", map[string]any{"keyword": "polls"}, 200, nil)
	c.do("PUT", "/api/v1/filters/"+id, map[string]any{"context": []string{"public"}}, 422, nil)
	c.do("PUT", "/api/v1/filters/"+id, map[string]any{"phrase": "votes"}, 200, nil)
	c.do("DELETE", "/api/v1/filters/"+id, nil, 200, nil)
	c.do("GET", "/api/v1/filters/"+id, nil, 404, nil)
	c.do("GET", "/api/v1/filters", nil, 200, &v1s)
	if len(v1s) != 1 || v1s[0]["phrase"] != "polls" {
		t.Errorf("v1 filters after delete = %v", v1s)
	}
	// Deleting the last keyword deletes the filter.
	c.do("DELETE", "/api/v1/filters/"+v1s[0]["id"].(string), nil, 200, nil)
	c.do("GET", "/api/v2/filters", nil, 200, &all)
	if len(all) != 0 {
		t.Errorf("filters left = %v", all)
	}
}

func TestFiltersOnTimelines(t *testing.T) {
	e := newTestEnv(t)
	c := lfClient{e, e.oauthToken("read write")}
	bob := lfRemote(e, "bob", true)
	post := lfPoster(e)
	cats := post(bob, "<p>Cats are <b>great</b></p>", nil)
	catsup := post(bob, "<p>Catsup on fries</p>", nil)
	spoiler := post(bob, "<p>The butler did it</p>", nil)
	plain := post(bob, "<p>Nothing to see</p>", nil)

	var warn map[string]any
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Pets", "context": []string{"home"}, "filter_action": "warn",
		"keywords_attributes": []map[string]any{{"keyword": "cats", "whole_word": true}}}, 200, &warn)
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Spoilers", "context": []string{"home"}, "filter_action": "hide",
		"keywords_attributes": []map[string]any{{"keyword": "butler"}}}, 200, nil)
	var expired map[string]any
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Old", "context": []string{"home"}, "filter_action": "hide",
		"keywords_attributes": []map[string]any{{"keyword": "nothing"}}}, 200, &expired)
	past := time.Now().Add(-time.Minute)
	old, err := e.st.GetFilter(context.Background(), lfMustID(t, expired["id"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	old.ExpiresAt = &past
	if err := e.st.UpdateFilter(context.Background(), old, nil); err != nil {
		t.Fatal(err)
	}

	var home []Status
	c.do("GET", "/api/v1/timelines/home", nil, 200, &home)
	byID := map[string]Status{}
	for _, v := range home {
		byID[v.ID] = v
	}
	if _, ok := byID[store.FormatID(spoiler.ID)]; ok {
		t.Error("a hide filter's match is on home")
	}
	if _, ok := byID[store.FormatID(plain.ID)]; !ok {
		t.Error("an expired filter hid a status")
	}
	if v := byID[store.FormatID(catsup.ID)]; len(v.Filtered) != 0 {
		t.Errorf("whole word matched inside a word: %+v", v.Filtered)
	}
	v := byID[store.FormatID(cats.ID)]
	if len(v.Filtered) != 1 || v.Filtered[0].Filter.ID != warn["id"] || strings.Join(v.Filtered[0].KeywordMatches, ",") != "cats" ||
		v.Filtered[0].StatusMatches != nil {
		t.Fatalf("filtered = %+v", v.Filtered)
	}
	m := checkShape(t, "FilterResult", v.Filtered[0])
	if _, ok := m["filter"].(map[string]any)["keywords"]; ok {
		t.Error("a FilterResult's filter carries keywords")
	}

	// The filters are for home only: the public timeline shows all.
	var pub []Status
	c.do("GET", "/api/v1/timelines/public", nil, 200, &pub)
	for _, v := range pub {
		if len(v.Filtered) != 0 {
			t.Errorf("public status %s filtered by a home filter", v.ID)
		}
	}
	if len(pub) != 4 {
		t.Errorf("public timeline has %d statuses, want 4", len(pub))
	}

	// A filtered status: matched by id, in the thread context.
	var tf map[string]any
	c.do("POST", "/api/v2/filters", map[string]any{"title": "This one", "context": []string{"thread"}, "filter_action": "blur"}, 200, &tf)
	c.do("POST", "/api/v2/filters/"+tf["id"].(string)+"/statuses", map[string]any{"status_id": store.FormatID(plain.ID)}, 200, nil)
	reply := post(bob, "<p>a reply</p>", plain)
	var thread struct{ Ancestors, Descendants []Status }
	c.do("GET", "/api/v1/statuses/"+store.FormatID(reply.ID)+"/context", nil, 200, &thread)
	if len(thread.Ancestors) != 1 || len(thread.Ancestors[0].Filtered) != 1 ||
		strings.Join(thread.Ancestors[0].Filtered[0].StatusMatches, ",") != store.FormatID(plain.ID) ||
		thread.Ancestors[0].Filtered[0].Filter.FilterAction != "blur" {
		t.Errorf("thread ancestors = %+v", thread.Ancestors)
	}
}

func lfMustID(t *testing.T, s string) int64 {
	t.Helper()
	id, ok := store.ParseID(s)
	if !ok {
		t.Fatalf("bad id %q", s)
	}
	return id
}

func TestFiltersOnTheUserStream(t *testing.T) {
	e, hub := newStreamEnv(t)
	tok := streamToken(t, e.st, "read write")
	c := lfClient{e, tok}
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Spoilers", "context": []string{"home"}, "filter_action": "hide",
		"keywords_attributes": []map[string]any{{"keyword": "butler"}}}, 200, nil)
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Pets", "context": []string{"home"}, "filter_action": "warn",
		"keywords_attributes": []map[string]any{{"keyword": "cats"}}}, 200, nil)

	conn := dialStream(t, e.srv.URL, "/api/v1/streaming?stream=user", &websocket.DialOptions{Subprotocols: []string{tok}})
	waitSubscribed(t, hub, stream{name: "user"}, 1)

	postAs(t, e.s.fed, "<p>The butler did it</p>", store.Private)
	warned := postAs(t, e.s.fed, "<p>I like cats</p>", store.Private)
	plain := postAs(t, e.s.fed, "<p>Nothing to see</p>", store.Private)
	// Events arrive in order: the hidden status would have come first.
	m := readFrameOf(t, conn, "update")
	v := decodeStatus(t, m.Payload)
	if v.ID != store.FormatID(warned.ID) {
		t.Fatalf("first update is %s (%q), want the warned status %d", v.ID, v.Content, warned.ID)
	}
	if len(v.Filtered) != 1 || v.Filtered[0].Filter.Title != "Pets" || strings.Join(v.Filtered[0].KeywordMatches, ",") != "cats" {
		t.Errorf("streamed filtered = %+v", v.Filtered)
	}
	if v := decodeStatus(t, readFrameOf(t, conn, "update").Payload); v.ID != store.FormatID(plain.ID) || len(v.Filtered) != 0 {
		t.Errorf("second update %s %+v, want %d unfiltered", v.ID, v.Filtered, plain.ID)
	}
}

func TestFiltersOnNotifications(t *testing.T) {
	e := newTestEnv(t)
	c := lfClient{e, e.oauthToken("read write")}
	bob := lfRemote(e, "bob", true)
	post := lfPoster(e)
	hidden, warned := post(bob, "<p>The butler did it</p>", nil), post(bob, "<p>cats</p>", nil)
	for _, st := range []*store.Status{hidden, warned} {
		err := e.st.Update(context.Background(), func(tx *store.Tx) error {
			_, err := tx.InsertNotification(&store.Notification{Type: store.NotifyMention, FromAccountID: bob.ID,
				StatusID: &st.ID, CreatedAt: st.CreatedAt})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Spoilers", "context": []string{"notifications"}, "filter_action": "hide",
		"keywords_attributes": []map[string]any{{"keyword": "butler"}}}, 200, nil)
	c.do("POST", "/api/v2/filters", map[string]any{"title": "Pets", "context": []string{"notifications"},
		"keywords_attributes": []map[string]any{{"keyword": "cats"}}}, 200, nil)

	var ns []Notification
	c.do("GET", "/api/v1/notifications", nil, 200, &ns)
	if len(ns) != 1 || ns[0].Status.ID != store.FormatID(warned.ID) || len(ns[0].Status.Filtered) != 1 {
		t.Errorf("notifications = %+v", ns)
	}
	var g groupedNotifications
	c.do("GET", "/api/v2/notifications", nil, 200, &g)
	if len(g.NotificationGroups) != 1 || len(g.Statuses) != 1 || g.Statuses[0].ID != store.FormatID(warned.ID) ||
		len(g.Statuses[0].Filtered) != 1 {
		t.Errorf("grouped = %+v", g)
	}
}
