package handlers

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"roost/markup"
	"roost/store"
)

func TestProfilePage(t *testing.T) {
	e := newTestEnv(t)
	e.post("<p>first &amp; public</p>", nil)
	e.post("<p>unlisted but on the profile</p>", func(s *store.Status) { s.Visibility = store.Unlisted })
	e.post("<p>for followers</p>", func(s *store.Status) { s.Visibility = store.Private })
	e.post(`<p>sneaky<script>alert(1)</script><a href="javascript:alert(2)">x</a></p>`, nil)
	cw := e.post("<p>the butler did it</p>", func(s *store.Status) { s.SpoilerText = "book spoilers" })

	resp, body := e.get("/@alice", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"Alice Liddell",
		"@alice@social.example",
		`data-copy="@alice@social.example"`, // the copy button
		"<p>I live in a <em>hole</em>.</p>", // the bio as HTML
		"<dt>Site</dt>",
		"first &amp; public",
		"unlisted but on the profile",
		"<strong>4</strong> posts", // public and unlisted
		`<link rel="alternate" type="application/activity&#43;json" href="https://social.example/users/alice">`,
		`<link rel="alternate" type="application/atom&#43;xml" href="https://social.example/@alice.atom"`,
		`<link rel="me" href="https://alice.example/">`,
		`<meta property="og:type" content="profile">`,
		`<meta property="og:title" content="Alice Liddell (@alice@social.example)">`,
		`<meta property="og:image" content="https://social.example/static/avatar.png">`,
		`<link rel="canonical" href="https://social.example/@alice">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<summary>book spoilers`, // a content warning folds the text away without JavaScript
		fmt.Sprintf(`href="https://social.example/@alice/%d"`, cw.ID),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("profile page lacks %q", want)
		}
	}
	for _, bad := range []string{"for followers", "<script>alert", "javascript:"} {
		if strings.Contains(body, bad) {
			t.Errorf("profile page contains %q", bad)
		}
	}
	// The same page at the actor URL for browsers, and at /@alice@host.
	for _, path := range []string{"/users/alice", "/@alice@social.example", "/@ALICE"} {
		if resp, b := e.get(path, "text/html"); resp.StatusCode != 200 || !strings.Contains(b, "Alice Liddell") {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	// The bare domain leads to the profile.
	if resp, _ := e.get("/", "text/html"); resp.StatusCode != 302 || resp.Header.Get("Location") != testBase+"/@alice" {
		t.Errorf("GET /: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestProfilePagingAndReplies(t *testing.T) {
	e := newTestEnv(t)
	var posts []*store.Status
	for i := 0; i < 25; i++ {
		posts = append(posts, e.post(fmt.Sprintf("<p>post number %02d</p>", i), nil))
	}
	e.post("<p>a reply to someone</p>", func(s *store.Status) { s.InReplyToURI = "https://remote.example/notes/1" })
	_, body := e.get("/@alice", "")
	if !strings.Contains(body, "post number 24") || strings.Contains(body, "post number 04") {
		t.Error("first page does not hold the newest 20 posts")
	}
	if strings.Contains(body, "a reply to someone") {
		t.Error("replies to others are on the Posts tab")
	}
	older := fmt.Sprintf(`href="/@alice?max_id=%d"`, posts[5].ID)
	if !strings.Contains(body, `rel="next" `+strings.Replace(older, "/@alice", testBase+"/@alice", 1)) {
		t.Fatalf("no Older link %s in page", older)
	}
	_, body = e.get(fmt.Sprintf("/@alice?max_id=%d", posts[5].ID), "")
	if !strings.Contains(body, "post number 04") || !strings.Contains(body, "post number 00") || strings.Contains(body, "post number 05") {
		t.Error("second page is wrong")
	}
	if !strings.Contains(body, `rel="prev"`) {
		t.Error("second page has no Newer link")
	}
	_, body = e.get("/@alice?with_replies=1", "")
	if !strings.Contains(body, "a reply to someone") {
		t.Error("Posts and replies tab lacks the reply")
	}
}

func TestStatusPageShowsThread(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	root := e.post("<p>root post</p>", nil)
	remote := &store.Account{URI: "https://remote.example/users/bob", Username: "bob", Domain: "remote.example",
		DisplayName: "Bob", URL: "https://remote.example/@bob"}
	if err := e.st.InsertAccount(ctx, remote); err != nil {
		t.Fatal(err)
	}
	bobReply := &store.Status{URI: "https://remote.example/notes/2", URL: "https://remote.example/@bob/2",
		AccountID: remote.ID, Content: "<p>bob answers</p>", Visibility: store.Public, InReplyToID: &root.ID, InReplyToURI: root.URI}
	if err := e.st.InsertStatus(ctx, bobReply); err != nil {
		t.Fatal(err)
	}
	mine := e.post("<p>my answer to bob</p>", func(s *store.Status) {
		s.InReplyToID, s.InReplyToURI = &bobReply.ID, bobReply.URI
	})
	hidden := e.post("<p>private aside</p>", func(s *store.Status) {
		s.InReplyToID, s.InReplyToURI, s.Visibility = &root.ID, root.URI, store.Private
	})
	_ = hidden

	resp, body := e.get(fmt.Sprintf("/@alice/%d", bobReply.ID), "")
	if resp.StatusCode != 404 {
		t.Errorf("page of someone else's status: %d, want 404", resp.StatusCode)
	}
	resp, body = e.get(fmt.Sprintf("/@alice/%d", mine.ID), "")
	if resp.StatusCode != 200 {
		t.Fatalf("status page: %d", resp.StatusCode)
	}
	thread := body[strings.Index(body, `class="thread"`):]
	iRoot, iBob, iMine := strings.Index(thread, "root post"), strings.Index(thread, "bob answers"), strings.Index(thread, "my answer to bob")
	if iRoot < 0 || iBob < iRoot || iMine < iBob {
		t.Errorf("thread out of order: root %d bob %d mine %d", iRoot, iBob, iMine)
	}
	if strings.Contains(body, "private aside") {
		t.Error("thread shows a followers-only reply")
	}
	for _, want := range []string{
		`class="status focus"`,
		"@bob@remote.example",
		`href="https://remote.example/@bob/2"`,
		`<meta property="og:type" content="article">`,
		`<meta property="og:description" content="my answer to bob">`,
		fmt.Sprintf(`<link rel="alternate" type="application/activity&#43;json" href="%s">`, e.urls.Status(mine.ID)),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	// ActivityPub clients asking for the page get the Note.
	if m := e.getJSON(fmt.Sprintf("/@alice/%d", mine.ID), asJSON, 200, asJSON); m["id"] != e.urls.Status(mine.ID) {
		t.Errorf("status page as JSON: %v", m["id"])
	}
	for _, path := range []string{"/@alice/999", "/@alice/abc", "/@bob/" + store.FormatID(mine.ID), "/nothing/here/at/all"} {
		resp, body := e.get(path, "")
		if resp.StatusCode != 404 || !strings.Contains(body, "does not exist") {
			t.Errorf("GET %s: %d, want the 404 page", path, resp.StatusCode)
		}
	}
}

func TestAtomFeed(t *testing.T) {
	e := newTestEnv(t)
	e.post("<p>in the feed &lt;3</p>", nil)
	e.post("<p>unlisted stays out</p>", func(s *store.Status) { s.Visibility = store.Unlisted })
	e.post("<p>the twist</p>", func(s *store.Status) { s.SpoilerText = "ending" })
	resp, body := e.get("/@alice.atom", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name
		Title   string `xml:"title"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Content struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	if feed.XMLName.Space != "http://www.w3.org/2005/Atom" || feed.Title != "Alice Liddell (@alice@social.example)" {
		t.Errorf("feed %v %q", feed.XMLName, feed.Title)
	}
	if len(feed.Entries) != 2 {
		t.Fatalf("%d entries, want 2", len(feed.Entries))
	}
	if feed.Entries[0].Title != "CW: ending" {
		t.Errorf("CW entry title %q", feed.Entries[0].Title)
	}
	if e1 := feed.Entries[1]; e1.Content.Type != "html" || e1.Content.Body != "<p>in the feed &lt;3</p>" || e1.Title != "in the feed <3" {
		t.Errorf("entry = %+v", e1)
	}
	self := false
	for _, l := range feed.Links {
		self = self || l.Rel == "self" && l.Href == testBase+"/@alice.atom"
	}
	if !self {
		t.Error("feed has no self link")
	}
}

func TestStaticFiles(t *testing.T) {
	e := newTestEnv(t)
	for path, typ := range map[string]string{
		"/static/roost.css":  "text/css",
		"/static/avatar.png": "image/png",
		"/static/roost.js":   "text/javascript",
		"/favicon.ico":       "image/svg+xml",
	} {
		resp, _ := e.get(path, "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), typ) {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/static/embed.go", "/static/nope.css", "/static/..%2Fgo.mod"} {
		if resp, _ := e.get(path, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestMarkdownPostsRenderSafely: the owner writes Markdown; the page shows
// it as HTML Mastodon would accept, with nothing executable.
func TestMarkdownPostsRenderSafely(t *testing.T) {
	e := newTestEnv(t)
	src := "# Title\n\nSome *emphasis* and a link https://example.org\nnew line\n\n<script>alert(1)</script> [x](javascript:alert(1))"
	st := e.post(markup.New().Markdown(src), func(s *store.Status) { s.Source = src })
	_, body := e.get(fmt.Sprintf("/@alice/%d", st.ID), "")
	for _, want := range []string{
		"<p><strong>Title</strong></p>",
		"<em>emphasis</em>",
		`<a href="https://example.org" rel="nofollow noopener noreferrer" target="_blank">https://example.org</a><br>`,
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, `href="javascript:`) {
		t.Error("page carries executable content")
	}
}
