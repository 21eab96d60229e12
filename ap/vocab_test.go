package ap

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// vocabFixtureDir holds the shared real-world payloads (DESIGN.md §7).
const vocabFixtureDir = "../testdata/activitypub"

// vocabFixtureFiles lists every fixture and fails when there are none: a
// missing checkout must not turn the table tests into no-ops.
func vocabFixtureFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(vocabFixtureDir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatalf("no fixtures in %s; the fixtures live in testdata/activitypub", vocabFixtureDir)
	}
	return files
}

// vocabDecodeFixture decodes a fixture file. A recorded HTTP exchange
// ({"headers": …, "body": …}) gives its body instead, which may be an
// object or a JSON-encoded string.
func vocabDecodeFixture(t *testing.T, path string) *Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	var rec struct {
		Headers json.RawMessage `json:"headers"`
		Body    json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(data, &rec); err != nil || rec.Headers == nil || rec.Body == nil {
		return o
	}
	body := []byte(rec.Body)
	var s string
	if json.Unmarshal(rec.Body, &s) == nil {
		body = []byte(s)
	}
	if o, err = Decode(body); err != nil {
		t.Fatalf("Decode body: %v", err)
	}
	return o
}

// vocabRoundTrip checks that o survives Marshal and Decode unchanged and
// that marshalling is a fixed point.
func vocabRoundTrip(t *testing.T, o *Object) []byte {
	t.Helper()
	b1, err := Marshal(o)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	o2, err := Decode(b1)
	if err != nil {
		t.Fatalf("Decode(Marshal(o)): %v\n%s", err, b1)
	}
	if !reflect.DeepEqual(o, o2) {
		b2, _ := json.MarshalIndent(o2, "", " ")
		t.Fatalf("round trip changed the object\nmarshalled: %s\nre-decoded: %s", b1, b2)
	}
	b2, err := Marshal(o2)
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("Marshal not stable (err %v):\n%s\n%s", err, b1, b2)
	}
	return b1
}

func vocabEq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// vocabObj returns the embedded object of r, failing when there is none.
func vocabObj(t *testing.T, what string, r Ref) *Object {
	t.Helper()
	if r.Obj == nil {
		t.Fatalf("%s: no embedded object (ref %+v)", what, r)
	}
	return r.Obj
}

func vocabFirst(t *testing.T, what string, rs Refs) *Object {
	t.Helper()
	if len(rs) == 0 {
		t.Fatalf("%s: empty", what)
	}
	return vocabObj(t, what, rs[0])
}

func vocabTime(t *testing.T, s string) *time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	tm = tm.UTC()
	return &tm
}

func vocabBool(b bool) *bool { return &b }
func vocabInt(n int) *int    { return &n }

// TestVocabFixtures decodes every shared fixture, round-trips it, and checks
// the notable fields of the ones listed in vocabFixtureChecks.
func TestVocabFixtures(t *testing.T) {
	checks := vocabFixtureChecks()
	seen := map[string]bool{}
	for _, path := range vocabFixtureFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			o := vocabDecodeFixture(t, path)
			vocabRoundTrip(t, o)
			if check := checks[name]; check != nil {
				check(t, o)
			}
		})
	}
	for name := range checks {
		if !seen[name] {
			t.Errorf("check for %s.json, but there is no such fixture", name)
		}
	}
}

// vocabFixtureChecks asserts the values actually present in each notable
// fixture (see fixtures/activitypub/README.md for why each one matters).
func vocabFixtureChecks() map[string]func(*testing.T, *Object) {
	return map[string]func(*testing.T, *Object){
		"gotosocial_note_mentions": func(t *testing.T, o *Object) {
			// GtS writes single values bare: losing them is a visibility bug.
			vocabEq(t, "to", o.To.IDs(), []string{Public})
			vocabEq(t, "cc", o.CC.IDs(), []string{"http://localhost:8080/users/admin/followers", "http://localhost:8080/users/the_mighty_zork"})
			if len(o.Tag) != 1 {
				t.Fatalf("tag: %d entries, want 1", len(o.Tag))
			}
			vocabEq(t, "tag type", o.Tag[0].Type, "Mention")
			vocabEq(t, "tag href", o.Tag[0].Href, "http://localhost:8080/users/the_mighty_zork")
			vocabEq(t, "tag name", o.Tag[0].Name, "@the_mighty_zork@localhost:8080")
			vocabEq(t, "inReplyTo", o.InReplyTo, IRI("http://localhost:8080/users/the_mighty_zork/statuses/01F8MHAMCHF6Y650WCRSCP4WMY"))
			vocabEq(t, "sensitive", o.Sensitive, vocabBool(false))
			vocabEq(t, "attachment", o.Attachment, []Object{})
			vocabEq(t, "contentMap[en]", o.ContentMap["en"], o.Content)
			vocabEq(t, "canReply", o.InteractionPolicy.CanReply.AutomaticApproval, []string{Public})
			vocabEq(t, "replies.first.next", vocabObj(t, "first", vocabObj(t, "replies", o.Replies).First).Next,
				IRI("http://localhost:8080/users/admin/statuses/01FF25D5Q0DH7CHD57CTRS6WK0/replies?page=true&only_other_accounts=false"))
		},
		"mastodon_create_note_sensitive_cw": func(t *testing.T, o *Object) {
			note := vocabFirst(t, "object", o.Object)
			vocabEq(t, "sensitive", note.Sensitive, (*bool)(nil))
			vocabEq(t, "summary", note.Summary, "cw")
			vocabEq(t, "inReplyTo", note.InReplyTo, Ref{})
			vocabEq(t, "conversation", note.Conversation, "tag:mastodon.example.org,2018-02-12:objectId=20:objectType=Conversation")
			vocabEq(t, "tag[1]", []string{note.Tag[1].Type, note.Tag[1].Name}, []string{"Hashtag", "#NSFW"})
			vocabEq(t, "published", o.Published, vocabTime(t, "2018-02-12T14:08:20Z"))
		},
		"mastodon_create_note_hashtag": func(t *testing.T, o *Object) {
			vocabEq(t, "sensitive", vocabFirst(t, "object", o.Object).Sensitive, vocabBool(true))
		},
		"mastodon_actor_person": func(t *testing.T, o *Object) {
			vocabEq(t, "type", o.Type, "Person")
			vocabEq(t, "publicKey ids", []string{o.PublicKey[0].ID, o.PublicKey[0].Owner},
				[]string{"https://masto.qa.urbanwildlife.biz/users/mastodon#main-key", "https://masto.qa.urbanwildlife.biz/users/mastodon"})
			if pem := o.PublicKey[0].PublicKeyPem; !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtBdE55VmV9gTrhJmRF1K\n") ||
				!strings.HasSuffix(pem, "IQIDAQAB\n-----END PUBLIC KEY-----\n") {
				t.Errorf("publicKeyPem = %q", pem)
			}
			vocabEq(t, "sharedInbox", o.Endpoints.SharedInbox, "https://masto.qa.urbanwildlife.biz/inbox")
			vocabEq(t, "DeliveryInbox", o.DeliveryInbox(), "https://masto.qa.urbanwildlife.biz/inbox")
			vocabEq(t, "featured", o.Featured, "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/featured")
			vocabEq(t, "featuredTags", o.FeaturedTags, "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/tags")
			vocabEq(t, "discoverable", o.Discoverable, vocabBool(false))
			vocabEq(t, "manuallyApprovesFollowers", o.ManuallyApprovesFollowers, vocabBool(false))
			vocabEq(t, "icon", o.Icon.URLString("image/"), "https://masto.qa.urbanwildlife.biz/system/accounts/avatars/109/105/103/301/739/269/original/2cf61ff96e94cb1d.png")
			vocabEq(t, "published", o.Published, vocabTime(t, "2022-10-03T00:00:00Z"))
			vocabEq(t, "attachment", o.Attachment, []Object{})
		},
		"mastodon_actor_service_indexable_memorial": func(t *testing.T, o *Object) {
			vocabEq(t, "type", o.Type, "Service")
			vocabEq(t, "indexable/memorial", []*bool{o.Indexable, o.Memorial, o.Discoverable}, []*bool{vocabBool(false), vocabBool(false), vocabBool(true)})
			if len(o.Attachment) != 3 {
				t.Fatalf("attachment: %d entries, want 3", len(o.Attachment))
			}
			pv := o.Attachment[1]
			vocabEq(t, "PropertyValue", []string{pv.Type, pv.Name, pv.Value},
				[]string{"PropertyValue", "my user-agent", "&quot;fediverse&#39;s stats (fediverse@mastodont.cat)&quot;"})
		},
		"mastodon_update_person": func(t *testing.T, o *Object) {
			actor := vocabFirst(t, "object", o.Object)
			vocabEq(t, "attachment[0]", []string{actor.Attachment[0].Name, actor.Attachment[0].Value}, []string{"foo", "updated"})
			vocabEq(t, "image", actor.Image.URLString(""), "https://cd.niu.moe/accounts/headers/000/033/323/original/850b3448fa5fd477.png")
		},
		"misskey_actor_person": func(t *testing.T, o *Object) {
			vocabEq(t, "sharedInbox", o.SharedInbox, "https://misskey.io/inbox")
			vocabEq(t, "endpoints", o.Endpoints, &Endpoints{SharedInbox: "https://misskey.io/inbox"})
			vocabEq(t, "icon sensitive", vocabFirst(t, "icon", o.Icon).Sensitive, vocabBool(false))
			vocabEq(t, "discoverable", o.Discoverable, vocabBool(true))
			o.Endpoints = nil
			vocabEq(t, "DeliveryInbox without endpoints", o.DeliveryInbox(), "https://misskey.io/inbox")
		},
		"takahe_actor_person": func(t *testing.T, o *Object) {
			vocabEq(t, "toot:discoverable", o.Discoverable, vocabBool(true))
			if len(o.Attachment) != 1 {
				t.Fatalf("single attachment: %d entries", len(o.Attachment))
			}
			vocabEq(t, "attachment name", o.Attachment[0].Name, "More details")
		},
		"owncast_actor_service_single_attachment": func(t *testing.T, o *Object) {
			vocabEq(t, "attachment", []string{o.Attachment[0].Type, o.Attachment[0].Name}, []string{"PropertyValue", "Stream"})
			vocabEq(t, "published", o.Published, vocabTime(t, "2022-05-22T18:44:57Z"))
		},
		"owncast_note_attachment": func(t *testing.T, o *Object) {
			vocabEq(t, "attachment", []string{o.Attachment[0].Type, o.Attachment[0].Content}, []string{"Image", "Live stream preview"})
			vocabEq(t, "audience", o.Audience.IDs(), []string{Public})
			vocabEq(t, "to public", o.To.HasPublic(), true)
		},
		"mastodon_note_reply_attachment_blurhash": func(t *testing.T, o *Object) {
			a := o.Attachment[0]
			vocabEq(t, "blurhash", a.Blurhash, "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc")
			vocabEq(t, "focalPoint", a.FocalPoint, []float64{0, 0})
			vocabEq(t, "size", []int{a.Width, a.Height}, []int{1500, 1095})
			vocabEq(t, "mediaType", a.MediaType, "image/jpeg")
			vocabEq(t, "alt", a.Name, "The KDE dragons Katie and Konqi stand on either side of a pot filling up with gold coins. Donate!")
			vocabEq(t, "summary", o.Summary, "")
			vocabEq(t, "likes", vocabObj(t, "likes", o.Likes).TotalItems, vocabInt(39))
			vocabEq(t, "shares", vocabObj(t, "shares", o.Shares).TotalItems, vocabInt(24))
			vocabEq(t, "replies.first.items", vocabObj(t, "first", vocabObj(t, "replies", o.Replies).First).Items, Refs{})
		},
		"gotosocial_note_emoji_hashtag": func(t *testing.T, o *Object) {
			vocabEq(t, "focalPoint", o.Attachment[0].FocalPoint, []float64{-0.5, 0.5})
			vocabEq(t, "emoji", []string{o.Tag[0].Type, o.Tag[0].Name, o.Tag[0].Icon.URLString("image/png")},
				[]string{"Emoji", ":rainbow:", "http://localhost:8080/fileserver/01AY6P665V14JJR0AFVRT7311Y/emoji/original/01F8MH9H8E4VG3KDYJR9EGPXCQ.png"})
			vocabEq(t, "emoji updated", o.Tag[0].Updated, vocabTime(t, "2021-09-20T10:40:37Z"))
		},
		"peertube_video": func(t *testing.T, o *Object) {
			if len(o.URL) != 4 {
				t.Fatalf("url: %d links, want 4", len(o.URL))
			}
			page := vocabObj(t, "url[0]", o.URL[0])
			vocabEq(t, "url[0]", []string{page.Type, page.MediaType, page.Href},
				[]string{"Link", "text/html", "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"})
			vocabEq(t, "URLString(text/html)", o.URLString("text/html; charset=utf-8"), page.Href)
			vocabEq(t, "URLString(hls)", o.URLString("application/x-mpegurl"),
				"https://tilvids.com/static/streaming-playlists/hls/e7946124-7b72-4ad7-9d22-844a84bb2de1/2020efb9-9f43-4e37-b268-3470a4bb89cd-master.m3u8")
			vocabEq(t, "URLString(none matches)", o.URLString("audio/ogg"), page.Href)
			vocabEq(t, "hls tags", len(vocabObj(t, "url[1]", o.URL[1]).Tag), 16)
			tracker := vocabObj(t, "url[2]", o.URL[2])
			vocabEq(t, "rel", []any{tracker.Rel, tracker.Rels}, []any{"tracker", []string{"tracker", "http"}})
			vocabEq(t, "icons", []int{len(o.Icon), vocabFirst(t, "icon", o.Icon).Width}, []int{2, 280})
			vocabEq(t, "attributedTo types", []string{vocabObj(t, "a0", o.AttributedTo[0]).Type, vocabObj(t, "a1", o.AttributedTo[1]).Type}, []string{"Person", "Group"})
			vocabEq(t, "attributedTo ids", o.AttributedTo.IDs(), []string{"https://tilvids.com/accounts/thelinuxexperiment", "https://tilvids.com/video-channels/thelinuxexperiment_channel"})
			vocabEq(t, "mediaType", o.MediaType, "text/markdown")
			vocabEq(t, "published", o.Published, vocabTime(t, "2025-02-01T11:59:45.094Z"))
			vocabEq(t, "shares", o.Shares, IRI("https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1/announces"))
		},
		"funkwhale_create_audio": func(t *testing.T, o *Object) {
			audio := vocabFirst(t, "object", o.Object)
			vocabEq(t, "mimeType", vocabObj(t, "url[0]", audio.URL[0]).MediaType, "audio/ogg")
			vocabEq(t, "URLString(text/html)", audio.URLString("text/html"), "https://channels.tests.funkwhale.audio/library/tracks/74")
			vocabEq(t, "URLString(audio/*)", audio.URLString("audio/*"),
				"https://channels.tests.funkwhale.audio/api/v1/listen/3901e5d8-0445-49d5-9711-e096cf32e515/?upload=42342395-0208-4fee-a38d-259a6dae0871&download=false")
			vocabEq(t, "to", audio.To.IDs(), []string{Public})
			vocabEq(t, "published µs", audio.Published, vocabTime(t, "2020-03-11T10:01:52.714918Z"))
			vocabEq(t, "tags", []string{audio.Tag[2].Type, audio.Tag[2].Name, audio.Tag[2].Href}, []string{"Hashtag", "#tests", ""})
			if len(audio.Context) == 0 {
				t.Error("embedded @context lost")
			}
		},
		"misskey_note_quote": func(t *testing.T, o *Object) {
			vocabEq(t, "quote", o.Quote, "https://misskey.io/notes/8vs6wxufd0")
			vocabEq(t, "published ms", o.Published, vocabTime(t, "2022-01-21T16:38:30.243Z"))
		},
		"fedibird_note_quote_uri": func(t *testing.T, o *Object) {
			vocabEq(t, "quote", o.Quote, "https://example.com/objects/43479e20-c0f8-4f49-bf7f-13fab8234924")
			vocabEq(t, "context", o.ContextIRI, "https://fedibird.com/contexts/108707679228389900")
			vocabEq(t, "to/cc", [][]string{o.To.IDs(), o.CC.IDs()}, [][]string{{"https://fedibird.com/users/akkoma_ap_integration_tester/followers"}, {Public}})
			vocabEq(t, "contentMap langs", len(o.ContentMap["ja"]) > 0, true)
		},
		"sharkey_note_quote_all_properties": func(t *testing.T, o *Object) {
			vocabEq(t, "quote", o.Quote, "https://eepy.zone/notes/0ojy918h4jw300g8")
			vocabEq(t, "source", o.Source, &Source{Content: "Wait have you guys seen this", MediaType: "text/x.misskeymarkdown"})
		},
		"mastodon_create_question_poll": func(t *testing.T, o *Object) {
			q := vocabFirst(t, "object", o.Object)
			vocabEq(t, "type", q.Type, "Question")
			if len(q.OneOf) != 4 {
				t.Fatalf("oneOf: %d options, want 4", len(q.OneOf))
			}
			var names []string
			var totals []int
			for _, opt := range q.OneOf {
				names = append(names, opt.Name)
				totals = append(totals, *vocabObj(t, "replies", opt.Replies).TotalItems)
			}
			vocabEq(t, "options", names, []string{"Dunno", "Everyone knows that!", "25 char limit is dumb", "I can't even fit a funny"})
			vocabEq(t, "votes", totals, []int{0, 1, 0, 1})
			vocabEq(t, "endTime", q.EndTime, vocabTime(t, "2019-05-11T09:03:36Z"))
			vocabEq(t, "anyOf", q.AnyOf, []Object(nil))
		},
		"misskey_question_poll_no_end_date": func(t *testing.T, o *Object) {
			vocabEq(t, "endTime", o.EndTime, (*time.Time)(nil))
			vocabEq(t, "options", []string{o.OneOf[0].Name, o.OneOf[1].Name}, []string{"Working", "Broken af"})
			vocabEq(t, "votes", *vocabObj(t, "replies", o.OneOf[1].Replies).TotalItems, 1)
			vocabEq(t, "published", o.Published, vocabTime(t, "2019-09-05T05:35:32.541Z"))
		},
		"mastodon_create_poll_vote": func(t *testing.T, o *Object) {
			vote := vocabFirst(t, "object", o.Object)
			vocabEq(t, "vote", []string{vote.Name, vote.InReplyTo.ID, vote.Content}, []string{"suya..", "https://testing.uguu.ltd/objects/9d300947-2dcb-445d-8978-9a3b4b84fa14", ""})
			vocabEq(t, "to", vote.To.IDs(), []string{"https://testing.uguu.ltd/users/rin"})
		},
		"mastodon_undo_like_object_iri": func(t *testing.T, o *Object) {
			vocabEq(t, "object", o.Object, Refs{IRI("http://mastodon.example.org/users/admin#likes/2")})
			vocabEq(t, "type", o.Type, "Undo")
		},
		"mastodon_undo_follow": func(t *testing.T, o *Object) {
			follow := vocabFirst(t, "object", o.Object)
			vocabEq(t, "follow", []string{o.Object[0].ID, follow.Type, follow.Object[0].ID},
				[]string{"https://masto.asonix.dog/1ea87517-63c5-4118-8831-460ee641b2cf", "Follow", "https://ds9.lemmy.ml/c/testcom"})
		},
		"gotosocial_delete_direct_message": func(t *testing.T, o *Object) {
			vocabEq(t, "object", o.Object, Refs{IRI("http://localhost:8080/users/1happyturtle/statuses/01FN3VJGFH10KR7S2PB0GFJZYG")})
			vocabEq(t, "to", o.To, Refs{IRI("http://localhost:8080/users/the_mighty_zork")})
			vocabEq(t, "cc", o.CC, Refs{})
			vocabEq(t, "@context", string(o.Context), `"https://www.w3.org/ns/activitystreams"`)
		},
		"sharkey_delete_tombstone": func(t *testing.T, o *Object) {
			vocabEq(t, "tombstone", vocabFirst(t, "object", o.Object).Type, "Tombstone")
			vocabEq(t, "to/cc", []Refs{o.To, o.CC}, []Refs{nil, nil})
		},
		"lemmy_announce_create_page": func(t *testing.T, o *Object) {
			create := vocabFirst(t, "object", o.Object)
			page := vocabFirst(t, "object.object", create.Object)
			vocabEq(t, "types", []string{o.Type, create.Type, page.Type}, []string{"Announce", "Create", "Page"})
			vocabEq(t, "page", []string{page.ID, page.Name}, []string{"http://enterprise.lemmy.ml/post/7", "post 4"})
			vocabEq(t, "audience", page.Audience.IDs(), []string{"http://enterprise.lemmy.ml/u/main"})
			vocabEq(t, "published µs", page.Published, vocabTime(t, "2021-11-01T12:11:22.871846Z"))
			vocabEq(t, "@context", o.Context, json.RawMessage(nil))
		},
		"hubzilla_follow_embedded_actor": func(t *testing.T, o *Object) {
			vocabEq(t, "actor", vocabFirst(t, "actor", o.Actor).ID, "https://hubzilla.example.org/channel/kaniini")
			vocabEq(t, "actor ids", o.Actor.IDs(), []string{"https://hubzilla.example.org/channel/kaniini"})
			vocabEq(t, "object", o.Object.IDs(), []string{"https://localtesting.pleroma.lol/users/lain"})
		},
		"kroeg_create_note_arrayless_tag": func(t *testing.T, o *Object) {
			note := vocabFirst(t, "object", o.Object)
			author := vocabFirst(t, "attributedTo", note.AttributedTo)
			vocabEq(t, "author", []string{author.ID, author.PreferredUsername, author.Inbox}, []string{"https://puckipedia.com/", "puckipedia", "https://puckipedia.com/inbox"})
			vocabEq(t, "endpoints as string", author.Endpoints, (*Endpoints)(nil))
			vocabEq(t, "tag", []string{note.Tag[0].Type, note.Tag[0].Name}, []string{"Hashtag", "#test"})
			vocabEq(t, "replies", note.Replies, IRI("https://puckipedia.com/ur33-818k/note/replies"))
		},
		"bridgyfed_actor_person": func(t *testing.T, o *Object) {
			vocabEq(t, "image", []any{len(o.Image), o.Image.URLString("")}, []any{1, "https://jk.nipponalba.scot/images/profile.jpg"})
			vocabEq(t, "icon", o.Icon.URLString("image/jpeg"), "https://jk.nipponalba.scot/images/profile.jpg")
			vocabEq(t, "tags", []any{len(o.Tag), o.Tag[0].Type, o.Tag[0].Name}, []any{9, "Tag", "Craft Beer"})
			vocabEq(t, "url", o.URLString(""), "https://fed.brid.gy/r/https://jk.nipponalba.scot")
		},
		"mastodon_actor_person_pem_spaces": func(t *testing.T, o *Object) {
			pem := o.PublicKey[0].PublicKeyPem
			if !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY----- MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5W/9rYXddIjKo9Ury/LK XqQYbj0cOx") ||
				!strings.HasSuffix(pem, " JQIDAQAB -----END PUBLIC KEY----- ") {
				t.Errorf("PEM not kept verbatim: %q", pem)
			}
		},
		"mastodon_publickey_pem_for_signed_post": func(t *testing.T, o *Object) {
			if len(o.PublicKey) != 1 || !strings.HasPrefix(o.PublicKey[0].PublicKeyPem, "-----BEGIN PUBLIC KEY-----\n") || o.PublicKey[0].ID != "" {
				t.Errorf("bare PEM publicKey = %+v", o.PublicKey)
			}
		},
		"mastodon_signed_post_create_headers_and_body": func(t *testing.T, o *Object) {
			vocabEq(t, "body", []string{o.Type, o.ID}, []string{"Create", "http://localhost:3000/users/ronan2/statuses/100939547203370948/activity"})
		},
		"mastodon_move": func(t *testing.T, o *Object) {
			vocabEq(t, "type", o.Type, "Move")
			vocabEq(t, "object", o.Object.IDs(), []string{"https://mastodon.example/users/alice"})
			vocabEq(t, "target", o.Target.IDs(), []string{"https://alice.com/users/109835986274379"})
			vocabEq(t, "to", o.To.IDs(), []string{"https://mastodon.example/users/alice/followers"})
		},
		"gotosocial_actor_aliased_moved": func(t *testing.T, o *Object) {
			vocabEq(t, "alsoKnownAs", o.AlsoKnownAs.IDs(), []string{"http://localhost:8080/users/1happyturtle"})
			vocabEq(t, "movedTo", o.MovedTo, "http://localhost:8080/users/1happyturtle")
			vocabEq(t, "no sharedInbox", o.DeliveryInbox(), "http://localhost:8080/users/the_mighty_zork/inbox")
		},
		"mastodon_note_contentmap_replies_array": func(t *testing.T, o *Object) {
			vocabEq(t, "contentMap", o.ContentMap, map[string]string{"ja": "<p>tag</p>"})
			vocabEq(t, "replies: []", o.Replies, Ref{})
		},
		"mastodon_note_direct_message": func(t *testing.T, o *Object) {
			vocabEq(t, "contentMap langs", len(o.ContentMap["es"]) > 0, true)
			vocabEq(t, "cc", o.CC, Refs{})
		},
		"friendica_update_note": func(t *testing.T, o *Object) {
			note := vocabFirst(t, "object", o.Object)
			vocabEq(t, "contentMap", note.ContentMap, map[string]string{"de": "This is an edited comment."})
			vocabEq(t, "updated", note.Updated, vocabTime(t, "2022-03-24T21:37:34Z"))
			vocabEq(t, "instrument", vocabFirst(t, "instrument", o.Instrument).Type, "Service")
		},
		"mitra_create_note_fep8b32_proof": func(t *testing.T, o *Object) {
			note := vocabFirst(t, "object", o.Object)
			vocabEq(t, "contentMap", note.ContentMap, map[string]string{"da": "<p>Remote post 5</p>"})
			vocabEq(t, "replies", note.Replies, IRI("https://mitra.social/objects/019f57cf-693a-77f2-b006-c4c76338956a/replies"))
		},
		"gotosocial_create_note": func(t *testing.T, o *Object) {
			vocabEq(t, "published offset", o.Published, vocabTime(t, "2021-10-20T10:40:37Z"))
			vocabEq(t, "cc", o.CC.IDs(), []string{"http://localhost:8080/users/the_mighty_zork/followers"})
			vocabEq(t, "sensitive", vocabFirst(t, "object", o.Object).Sensitive, vocabBool(true))
		},
		"akkoma_create_note_direct": func(t *testing.T, o *Object) {
			note := vocabFirst(t, "object", o.Object)
			vocabEq(t, "sensitive null", note.Sensitive, (*bool)(nil))
			vocabEq(t, "source", note.Source, &Source{Content: "@breen@as2.blueb.me private post to mention", MediaType: "text/x.misskeymarkdown"})
			vocabEq(t, "context", note.ContextIRI, "https://akko.eepy.zone/contexts/f718a425-60ea-4bda-92c6-b4266aff97cc")
			vocabEq(t, "published µs", note.Published, vocabTime(t, "2024-05-24T19:49:52.780645Z"))
		},
		"pleroma_create_note_litepub": func(t *testing.T, o *Object) {
			vocabEq(t, "source string", vocabFirst(t, "object", o.Object).Source, &Source{Content: "@lanodan@ds9.lemmy.ml test"})
		},
		"misskey_like_custom_emoji_reaction": func(t *testing.T, o *Object) {
			vocabEq(t, "reaction", []string{o.MisskeyReaction, o.Content, o.Tag[0].Type}, []string{":hanapog:", ":hanapog:", "Emoji"})
			vocabEq(t, "emoji updated ms", o.Tag[0].Updated, vocabTime(t, "2022-06-07T12:00:05.773Z"))
		},
		"akkoma_emojireact_custom_emoji": func(t *testing.T, o *Object) {
			vocabEq(t, "emoji", []string{o.Type, o.Tag[0].ID, o.Tag[0].Name}, []string{"EmojiReact", "", "mouse"})
		},
		"misskeyfork_bite_unknown_activity": func(t *testing.T, o *Object) {
			vocabEq(t, "bite", []string{o.Type, o.Target.First().ID}, []string{"Bite", "https://as2.blueb.me/users/690d0271-4147-4302-ac50-7806f3ad8f87"})
			vocabEq(t, "to", o.To.IDs(), []string{"9umq2pnhpy0ubij2"})
		},
		"mastodon_flag_report": func(t *testing.T, o *Object) {
			vocabEq(t, "objects", len(o.Object), 3)
			vocabEq(t, "content", o.Content, "Please take a look at this user and their posts")
		},
		"gotosocial_collection_featured": func(t *testing.T, o *Object) {
			vocabEq(t, "totalItems", o.TotalItems, vocabInt(2))
			vocabEq(t, "orderedItems", o.OrderedItems.IDs(), []string{"http://localhost:8080/users/admin/statuses/01F8MHAAY43M6RJ473VQFCVH37", "http://localhost:8080/users/admin/statuses/01F8MH75CBF9JFX4ZAD54N0W0R"})
		},
		"mastodon_collection_featured": func(t *testing.T, o *Object) {
			vocabEq(t, "pinned", vocabFirst(t, "orderedItems", o.OrderedItems).Type, "Note")
		},
		"gotosocial_note_interaction_policy_approved": func(t *testing.T, o *Object) {
			vocabEq(t, "approvedBy", o.ApprovedBy, "http://localhost:8080/users/1happyturtle/accepts/01J5QVXCCEATJYSXM9H6MZT4JR")
			vocabEq(t, "canLike", o.InteractionPolicy.CanLike, &InteractionRule{AutomaticApproval: []string{Public}, Always: []string{Public}})
			vocabEq(t, "canQuote", o.InteractionPolicy.CanQuote, (*InteractionRule)(nil))
		},
		"gotosocial_accept_like_request": func(t *testing.T, o *Object) {
			vocabEq(t, "result", o.Result, IRI("http://localhost:8080/users/the_mighty_zork/authorizations/01J1AKMZ8JE5NW0ZSFTRC1JJNE"))
			vocabEq(t, "instrument", vocabFirst(t, "object", o.Object).Instrument.IDs(), []string{"https://fossbros-anonymous.io/users/foss_satan/likes/01J1AKRRHQ6MDDQHV0TP716T2K"})
		},
		"wordpress_actor_person": func(t *testing.T, o *Object) {
			vocabEq(t, "webfinger", o.Webfinger, "matthias@pfefferle.org")
			vocabEq(t, "indexable", o.Indexable, vocabBool(true))
		},
		"wordpress_note_comment": func(t *testing.T, o *Object) {
			vocabEq(t, "id with query", o.ID, "https://pfefferle.org?c=148")
		},
		"wordpress_webfinger_recorded_http_response": func(t *testing.T, o *Object) {
			vocabEq(t, "JRD body decodes to an empty object", o.ID, "")
		},
		"pixelfed_note_image_capabilities": func(t *testing.T, o *Object) {
			vocabEq(t, "alt null", []string{o.Attachment[0].Type, o.Attachment[0].Name}, []string{"Image", ""})
			vocabEq(t, "published", o.Published, vocabTime(t, "2018-06-01T05:16:51Z"))
		},
		"pixelfed_story": func(t *testing.T, o *Object) {
			vocabEq(t, "story", []any{o.Type, len(o.Attachment)}, []any{"Story", 1})
		},
		"mobilizon_event": func(t *testing.T, o *Object) {
			vocabEq(t, "times", []*time.Time{o.StartTime, o.EndTime}, []*time.Time{vocabTime(t, "2022-12-11T19:00:00Z"), vocabTime(t, "2022-12-11T21:00:00Z")})
		},
		"honk_actor_person": func(t *testing.T, o *Object) {
			vocabEq(t, "@context", string(o.Context), `"https://www.w3.org/ns/activitystreams"`)
			vocabEq(t, "key", o.PublicKey[0].ID, "https://honk.example.org/u/honk_user#key")
			vocabEq(t, "DeliveryInbox", o.DeliveryInbox(), "https://honk.example.org/u/honk_user/inbox")
		},
		"peertube_announce_without_context": func(t *testing.T, o *Object) {
			vocabEq(t, "@context", o.Context, json.RawMessage(nil))
		},
		"lemmy_page_post": func(t *testing.T, o *Object) {
			vocabEq(t, "link attachment", []string{o.Attachment[0].Type, o.Attachment[0].Href}, []string{"Link", "https://enterprise.lemmy.ml/pictrs/image/eOtYb9iEiB.png"})
		},
		"wafrn_note_hashtags_no_context": func(t *testing.T, o *Object) {
			vocabEq(t, "tag[1]", []string{o.Tag[1].Type, o.Tag[1].Name}, []string{"WafrnHashtag", "im not lying"})
		},
		"smithereen_note": func(t *testing.T, o *Object) {
			vocabEq(t, "mention without name", []string{o.Tag[0].Href, o.Tag[0].Name}, []string{"https://ds9.lemmy.ml/u/nutomic", ""})
		},
		"w3c_context_activitystreams": func(t *testing.T, o *Object) {
			if !bytes.HasPrefix(o.Context, []byte(`{"@vocab":"_:"`)) {
				t.Errorf("@context = %.40s…", o.Context)
			}
		},
	}
}

// TestVocabPropertyVariants feeds each kind of property in every JSON shape
// servers send it (WriteFreely's @context table, extended to all kinds).
// Shapes that make no sense are dropped without failing the decode.
func TestVocabPropertyVariants(t *testing.T) {
	const note = "https://a.test/notes/1"
	embedded := &Object{ID: note, Type: "Note"}
	tests := []struct {
		name string
		json string // the members of an object, without braces
		got  func(*Object) any
		want any
	}{
		{"to absent", `"type":"Note"`, func(o *Object) any { return o.To }, Refs(nil)},
		{"to null", `"to":null`, func(o *Object) any { return o.To }, Refs(nil)},
		{"to string", `"to":"` + Public + `"`, func(o *Object) any { return o.To }, Refs{IRI(Public)}},
		{"to empty string", `"to":""`, func(o *Object) any { return o.To }, Refs(nil)},
		{"to empty array", `"to":[]`, func(o *Object) any { return o.To }, Refs{}},
		{"to array", `"to":["a","b"]`, func(o *Object) any { return o.To }, IRIs("a", "b")},
		{"to object", `"to":{"id":"a","type":"Person"}`, func(o *Object) any { return o.To }, Refs{Embed(&Object{ID: "a", Type: "Person"})}},
		{"to mixed array", `"to":["a",{"id":"b"},null,7,["c"],""]`, func(o *Object) any { return o.To }, Refs{IRI("a"), Embed(&Object{ID: "b"})}},
		{"to number", `"to":7`, func(o *Object) any { return o.To }, Refs(nil)},
		{"object IRI", `"object":"` + note + `"`, func(o *Object) any { return o.Object }, Refs{IRI(note)}},
		{"object embedded", `"object":{"id":"` + note + `","type":"Note"}`, func(o *Object) any { return o.Object }, Refs{Embed(embedded)}},
		{"object without id", `"object":{"type":"Note"}`, func(o *Object) any { return o.Object }, Refs{{Obj: &Object{Type: "Note"}}}},
		{"url empty array", `"url":[]`, func(o *Object) any { return o.URL }, Refs(nil)},
		{"inReplyTo null", `"inReplyTo":null`, func(o *Object) any { return o.InReplyTo }, Ref{}},
		{"inReplyTo string", `"inReplyTo":"` + note + `"`, func(o *Object) any { return o.InReplyTo }, IRI(note)},
		{"inReplyTo object", `"inReplyTo":{"id":"` + note + `","type":"Note"}`, func(o *Object) any { return o.InReplyTo }, Embed(embedded)},
		{"inReplyTo array", `"inReplyTo":[null,"` + note + `","x"]`, func(o *Object) any { return o.InReplyTo }, IRI(note)},
		{"inReplyTo bool", `"inReplyTo":false`, func(o *Object) any { return o.InReplyTo }, Ref{}},
		{"replies empty array", `"replies":[]`, func(o *Object) any { return o.Replies }, Ref{}},
		{"tag object", `"tag":{"type":"Hashtag","name":"#x"}`, func(o *Object) any { return o.Tag }, []Object{{Type: "Hashtag", Name: "#x"}}},
		{"tag bare string", `"tag":["https://a.test/tags/x",{"type":"Mention"},3]`, func(o *Object) any { return o.Tag }, []Object{{ID: "https://a.test/tags/x"}, {Type: "Mention"}}},
		{"tag empty", `"tag":[]`, func(o *Object) any { return o.Tag }, []Object{}},
		{"tag string", `"tag":"x"`, func(o *Object) any { return o.Tag }, []Object{{ID: "x"}}},
		{"attachment number", `"attachment":12`, func(o *Object) any { return o.Attachment }, []Object(nil)},
		{"@context string", `"@context":"https://www.w3.org/ns/activitystreams"`, func(o *Object) any { return string(o.Context) }, `"https://www.w3.org/ns/activitystreams"`},
		{"@context array", "\"@context\": [ \"a\", {\"b\": \"as:b\"} ]", func(o *Object) any { return string(o.Context) }, `["a",{"b":"as:b"}]`},
		{"@context null", `"@context":null`, func(o *Object) any { return o.Context }, json.RawMessage(nil)},
		{"context IRI is not @context", `"context":"https://a.test/ctx/1"`, func(o *Object) any { return []any{o.ContextIRI, o.Context} }, []any{"https://a.test/ctx/1", json.RawMessage(nil)}},
		{"context object", `"context":{"id":"https://a.test/ctx/1","type":"Collection"}`, func(o *Object) any { return o.ContextIRI }, "https://a.test/ctx/1"},
		{"type array", `"type":["Hashtag","Link"]`, func(o *Object) any { return []any{o.Type, o.Types, o.HasType("Link")} }, []any{"Hashtag", []string{"Hashtag", "Link"}, true}},
		{"type one-element array", `"type":[7,"Note"]`, func(o *Object) any { return []any{o.Type, o.Types} }, []any{"Note", []string(nil)}},
		{"type object", `"type":{"a":1}`, func(o *Object) any { return o.Type }, ""},
		{"rel string", `"rel":"self"`, func(o *Object) any { return []any{o.Rel, o.Rels} }, []any{"self", []string(nil)}},
		{"sensitive true", `"sensitive":true`, func(o *Object) any { return o.Sensitive }, vocabBool(true)},
		{"sensitive null", `"sensitive":null`, func(o *Object) any { return o.Sensitive }, (*bool)(nil)},
		{"sensitive string", `"sensitive":"true"`, func(o *Object) any { return o.Sensitive }, vocabBool(true)},
		{"sensitive FALSE string", `"sensitive":"FALSE"`, func(o *Object) any { return o.Sensitive }, vocabBool(false)},
		{"sensitive number", `"sensitive":1`, func(o *Object) any { return o.Sensitive }, vocabBool(true)},
		{"sensitive junk", `"sensitive":"maybe"`, func(o *Object) any { return o.Sensitive }, (*bool)(nil)},
		{"sensitive array", `"sensitive":[true]`, func(o *Object) any { return o.Sensitive }, (*bool)(nil)},
		{"published Z", `"published":"2024-10-14T16:57:15Z"`, func(o *Object) any { return o.Published }, vocabTime(t, "2024-10-14T16:57:15Z")},
		{"published ms", `"published":"2024-06-01T15:07:50.199Z"`, func(o *Object) any { return o.Published.Nanosecond() }, 199000000},
		{"published offset", `"published":"2021-10-20T12:40:37+02:00"`, func(o *Object) any { return o.Published }, vocabTime(t, "2021-10-20T10:40:37Z")},
		{"published compact offset", `"published":"2021-10-20T12:40:37.5+0200"`, func(o *Object) any { return o.Published }, vocabTime(t, "2021-10-20T10:40:37.5Z")},
		{"published no zone", `"published":"2021-10-20T12:40:37"`, func(o *Object) any { return o.Published }, vocabTime(t, "2021-10-20T12:40:37Z")},
		{"published junk", `"published":"yesterday"`, func(o *Object) any { return o.Published }, (*time.Time)(nil)},
		{"published number", `"published":1700000000`, func(o *Object) any { return o.Published }, (*time.Time)(nil)},
		{"published year 0 with offset", `"published":"0000-01-01T00:00:00+01:00"`, func(o *Object) any { return o.Published }, (*time.Time)(nil)},
		{"closed time", `"closed":"2019-05-11T09:03:36Z"`, func(o *Object) any { return []any{o.Closed, o.ClosedFlag} }, []any{vocabTime(t, "2019-05-11T09:03:36Z"), false}},
		{"closed true", `"closed":true`, func(o *Object) any { return []any{o.Closed, o.ClosedFlag} }, []any{(*time.Time)(nil), true}},
		{"closed false", `"closed":false`, func(o *Object) any { return []any{o.Closed, o.ClosedFlag} }, []any{(*time.Time)(nil), false}},
		{"width number", `"width":1500`, func(o *Object) any { return o.Width }, 1500},
		{"width float", `"width":1500.0`, func(o *Object) any { return o.Width }, 1500},
		{"width string", `"width":"1500"`, func(o *Object) any { return o.Width }, 1500},
		{"width fraction", `"width":1.5`, func(o *Object) any { return o.Width }, 0},
		{"width huge", `"width":1e300`, func(o *Object) any { return o.Width }, 0},
		{"totalItems", `"totalItems":0`, func(o *Object) any { return o.TotalItems }, vocabInt(0)},
		{"totalItems junk", `"totalItems":"many"`, func(o *Object) any { return o.TotalItems }, (*int)(nil)},
		{"focalPoint", `"focalPoint":[-0.5,0.25]`, func(o *Object) any { return o.FocalPoint }, []float64{-0.5, 0.25}},
		{"focalPoint strings", `"focalPoint":["a","b"]`, func(o *Object) any { return o.FocalPoint }, []float64(nil)},
		{"focalPoint object", `"focalPoint":{"x":1}`, func(o *Object) any { return o.FocalPoint }, []float64(nil)},
		{"name number", `"name":2024`, func(o *Object) any { return o.Name }, "2024"},
		{"name object", `"name":{"a":1}`, func(o *Object) any { return o.Name }, ""},
		{"summary null", `"summary":null`, func(o *Object) any { return o.Summary }, ""},
		{"contentMap", `"contentMap":{"en":"<p>hi</p>","de":null,"fr":3}`, func(o *Object) any { return o.ContentMap }, map[string]string{"en": "<p>hi</p>"}},
		{"contentMap empty", `"contentMap":{}`, func(o *Object) any { return o.ContentMap }, map[string]string(nil)},
		{"contentMap string", `"contentMap":"<p>hi</p>"`, func(o *Object) any { return o.ContentMap }, map[string]string(nil)},
		{"mimeType", `"mimeType":"audio/ogg"`, func(o *Object) any { return o.MediaType }, "audio/ogg"},
		{"mediaType wins over mimeType", `"mimeType":"audio/ogg","mediaType":"audio/mpeg"`, func(o *Object) any { return o.MediaType }, "audio/mpeg"},
		{"source string", `"source":"*hi*"`, func(o *Object) any { return o.Source }, &Source{Content: "*hi*"}},
		{"source object", `"source":{"content":"*hi*","mediaType":"text/markdown"}`, func(o *Object) any { return o.Source }, &Source{Content: "*hi*", MediaType: "text/markdown"}},
		{"source number", `"source":5`, func(o *Object) any { return o.Source }, (*Source)(nil)},
		{"inbox object", `"inbox":{"id":"https://a.test/inbox","type":"OrderedCollection"}`, func(o *Object) any { return o.Inbox }, "https://a.test/inbox"},
		{"inbox array", `"inbox":["https://a.test/inbox"]`, func(o *Object) any { return o.Inbox }, "https://a.test/inbox"},
		{"inbox bool", `"inbox":true`, func(o *Object) any { return o.Inbox }, ""},
		{"endpoints string", `"endpoints":"https://a.test/#endpoints"`, func(o *Object) any { return o.Endpoints }, (*Endpoints)(nil)},
		{"publicKey object", `"publicKey":{"id":"k","owner":"o","publicKeyPem":"P","type":"Key"}`, func(o *Object) any { return o.PublicKey }, []PublicKey{{ID: "k", Owner: "o", PublicKeyPem: "P"}}},
		{"publicKey array", `"publicKey":[{"id":"k1"},"k2",4]`, func(o *Object) any { return o.PublicKey }, []PublicKey{{ID: "k1"}, {ID: "k2"}}},
		{"publicKey PEM string", `"publicKey":"-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"`, func(o *Object) any { return o.PublicKey },
			[]PublicKey{{PublicKeyPem: "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"}}},
		{"publicKey owner object", `"publicKey":{"id":"k","owner":{"id":"o"}}`, func(o *Object) any { return o.PublicKey[0].Owner }, "o"},
		{"sec: prefixed key", `"sec:publicKey":{"sec:publicKeyPem":"P"}`, func(o *Object) any { return o.PublicKey }, []PublicKey{{PublicKeyPem: "P"}}},
		{"toot: prefix", `"toot:discoverable":true`, func(o *Object) any { return o.Discoverable }, vocabBool(true)},
		{"as: prefix", `"as:sensitive":true`, func(o *Object) any { return o.Sensitive }, vocabBool(true)},
		{"full IRI key", `"https://www.w3.org/ns/activitystreams#name":"n"`, func(o *Object) any { return o.Name }, "n"},
		{"plain key wins", `"as:name":"prefixed","name":"plain","toot:name":"other"`, func(o *Object) any { return o.Name }, "plain"},
		{"prefixed keys in sorted order", `"toot:name":"toot","as:name":"as"`, func(o *Object) any { return o.Name }, "as"},
		{"@id and @type", `"@id":"x","@type":"Note"`, func(o *Object) any { return []string{o.ID, o.Type} }, []string{"x", "Note"}},
		{"quote first of several", `"_misskey_quote":"m","quoteUrl":"u","quoteUri":"i"`, func(o *Object) any { return o.Quote }, "i"},
		{"quote FEP-044f wins", `"_misskey_quote":"m","quote":"q"`, func(o *Object) any { return o.Quote }, "q"},
		{"quote object", `"quote":{"id":"q","type":"Note"}`, func(o *Object) any { return o.Quote }, "q"},
		{"misskey quote prefixed", `"misskey:_misskey_quote":"m"`, func(o *Object) any { return o.Quote }, "m"},
		{"interactionPolicy single strings", `"interactionPolicy":{"canQuote":{"automaticApproval":"` + Public + `","manualApproval":[{"id":"f"}]},"canLike":"x"}`,
			func(o *Object) any { return o.InteractionPolicy },
			&InteractionPolicy{CanQuote: &InteractionRule{AutomaticApproval: []string{Public}, ManualApproval: []string{"f"}}}},
		{"alsoKnownAs string", `"alsoKnownAs":"https://b.test/users/a"`, func(o *Object) any { return o.AlsoKnownAs }, IRIs("https://b.test/users/a")},
		{"movedTo object", `"movedTo":{"id":"https://b.test/users/a"}`, func(o *Object) any { return o.MovedTo }, "https://b.test/users/a"},
		{"url Link with mimeType", `"url":{"type":"Link","href":"h","mimeType":"audio/ogg"}`, func(o *Object) any { return o.URLString("audio/") }, "h"},
		{"unknown keys ignored", `"nickname":"lain","diaspora:guid":"g","isCat":true,"id":"x"`, func(o *Object) any { return o.ID }, "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Decode([]byte("{" + tc.json + "}"))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := tc.got(o); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
			vocabRoundTrip(t, o)
		})
	}
}

// TestVocabDecodeRejects: Decode is strict only about the outer shape.
func TestVocabDecodeRejects(t *testing.T) {
	for _, in := range []string{"", " ", "null", "[]", `[{"type":"Note"}]`, `"https://a.test/x"`, "1", "true", "{", `{"a":}`, `{} {}`, `{"type":"Note"} x`, "\xff"} {
		if o, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) = %+v, want an error", in, o)
		}
	}
	if _, err := Decode([]byte(" \n{}\n")); err != nil {
		t.Errorf("Decode of an empty object with whitespace: %v", err)
	}
}

// vocabFullObject sets every field of Object, so that the round-trip test
// fails when a field is added to Object but not to the codec.
func vocabFullObject(t *testing.T) *Object {
	at := vocabTime(t, "2026-11-22T12:00:00.123Z")
	link := &Object{Type: "Link", Href: "https://a.test/v.mp4", MediaType: "video/mp4", Rel: "alternate", Rels: []string{"alternate", "x"}, Width: 640, Height: 480}
	return &Object{
		Context: json.RawMessage(`["https://www.w3.org/ns/activitystreams",{"toot":"http://joinmastodon.org/ns#"}]`),
		ID:      "https://a.test/1", Type: "Question", Types: []string{"Question", "x:Poll"},
		Actor: IRIs("https://a.test/users/a"), Object: Refs{Embed(&Object{ID: "https://a.test/2", Type: "Note"})},
		Target: IRIs("https://a.test/t"), Instrument: IRIs("https://a.test/i"), Result: IRI("https://a.test/r"),
		AttributedTo: IRIs("https://a.test/users/a"), To: IRIs(Public), CC: IRIs("https://a.test/f", "https://b.test/u"),
		BTo: IRIs("https://a.test/bto"), BCC: IRIs("https://a.test/bcc"), Audience: IRIs("https://a.test/g"),
		InReplyTo: IRI("https://b.test/p"),
		Name:      "n", Summary: "s", Content: "<p>a & b</p>",
		NameMap: map[string]string{"en": "n"}, SummaryMap: map[string]string{"en": "s"}, ContentMap: map[string]string{"en": "<p>a & b</p>"},
		MediaType: "text/html", Source: &Source{Content: "a & b", MediaType: "text/plain"},
		Published: at, Updated: at, StartTime: at, EndTime: at, Closed: at, Deleted: at, ClosedFlag: false,
		URL: Refs{IRI("https://a.test/@a/1"), Embed(link)}, Href: "https://a.test/h", Rel: "self", Rels: []string{"self", "alternate"},
		Tag:        []Object{{Type: "Mention", Href: "https://b.test/u", Name: "@u@b.test"}, {ID: "https://a.test/e", Type: "Emoji", Name: ":e:", Updated: at, Icon: Refs{Embed(&Object{Type: "Image", URL: IRIs("https://a.test/e.png")})}}},
		Attachment: []Object{{Type: "Document", MediaType: "image/png", URL: IRIs("https://a.test/m.png"), Name: "alt", Blurhash: "LEHV6nWB2yk8", FocalPoint: []float64{-0.5, 0.25}, Width: 2, Height: 1}},
		Icon:       Refs{Embed(&Object{Type: "Image", URL: IRIs("https://a.test/i.png")})}, Image: IRIs("https://a.test/h.png"),
		Sensitive: vocabBool(true), Width: 3, Height: 4, Blurhash: "b", FocalPoint: []float64{0, 1},
		PreferredUsername: "a", Inbox: "https://a.test/inbox", Outbox: "https://a.test/outbox",
		Followers: "https://a.test/followers", Following: "https://a.test/following",
		Featured: "https://a.test/featured", FeaturedTags: "https://a.test/tags",
		SharedInbox: "https://a.test/shared", MovedTo: "https://c.test/a", Webfinger: "acct:a@a.test",
		Endpoints:                 &Endpoints{SharedInbox: "https://a.test/shared"},
		PublicKey:                 []PublicKey{{ID: "https://a.test/users/a#main-key", Owner: "https://a.test/users/a", PublicKeyPem: "PEM"}, {ID: "k2"}},
		AlsoKnownAs:               IRIs("https://c.test/a"),
		ManuallyApprovesFollowers: vocabBool(false), Discoverable: vocabBool(true), Indexable: vocabBool(false),
		Memorial: vocabBool(false), Suspended: vocabBool(false),
		TotalItems: vocabInt(0), First: IRI("https://a.test/c?page=1"), Next: IRI("https://a.test/c?page=2"),
		Prev: IRI("https://a.test/c?page=0"), Last: IRI("https://a.test/c?page=9"), PartOf: IRI("https://a.test/c"),
		Items: IRIs("https://a.test/x"), OrderedItems: Refs{},
		OneOf:       []Object{{Type: "Note", Name: "yes", Replies: Ref{Obj: &Object{Type: "Collection", TotalItems: vocabInt(2)}}}},
		AnyOf:       []Object{{Type: "Note", Name: "no"}},
		VotersCount: vocabInt(2), Replies: IRI("https://a.test/1/replies"), Likes: IRI("https://a.test/1/likes"), Shares: IRI("https://a.test/1/shares"),
		Quote: "https://b.test/q", QuoteAuthorization: "https://b.test/qa", MisskeyReaction: ":e:",
		Conversation: "tag:a.test,2026:1", ContextIRI: "https://a.test/ctx", Value: "v", ApprovedBy: "https://b.test/ok",
		InteractionPolicy: &InteractionPolicy{
			CanLike: &InteractionRule{AutomaticApproval: []string{Public}}, CanReply: &InteractionRule{ManualApproval: []string{"f"}},
			CanAnnounce: &InteractionRule{Always: []string{Public}, ApprovalRequired: []string{"g"}}, CanQuote: &InteractionRule{},
		},
	}
}

func TestVocabRoundTripEveryField(t *testing.T) {
	o := vocabFullObject(t)
	v := reflect.ValueOf(o).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if v.Field(i).IsZero() && name != "ClosedFlag" {
			t.Errorf("vocabFullObject leaves %s unset", name)
		}
	}
	vocabRoundTrip(t, o)

	// ClosedFlag only matters without a Closed time.
	o.Closed, o.ClosedFlag = nil, true
	vocabRoundTrip(t, o)
}

// TestVocabMarshalBytes pins the exact output for a Mastodon-style Create:
// stable key order, @context first, arrays for to/cc/tag/attachment, bare
// single references, whole-second times without fractions, HTML unescaped.
func TestVocabMarshalBytes(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	note := &Object{
		ID: "https://a.test/users/me/statuses/1", Type: "Note",
		InReplyTo: IRI("https://b.test/notes/9"), Published: &at,
		URL: IRIs("https://a.test/@me/1"), AttributedTo: IRIs("https://a.test/users/me"),
		To: IRIs(Public), CC: IRIs("https://a.test/users/me/followers"), Sensitive: vocabBool(false),
		Content: `<p>Tom & "Jerry"</p>`, ContentMap: map[string]string{"en": `<p>Tom & "Jerry"</p>`},
		Attachment: []Object{}, Tag: []Object{{Type: "Hashtag", Href: "https://a.test/tags/x", Name: "#x"}},
	}
	create := &Object{
		Context: json.RawMessage(`[ "https://www.w3.org/ns/activitystreams" ]`),
		ID:      note.ID + "/activity", Type: "Create", Actor: IRIs("https://a.test/users/me"),
		Published: &at, To: note.To, CC: note.CC, Object: Refs{Embed(note)},
	}
	got, err := Marshal(create)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"@context":["https://www.w3.org/ns/activitystreams"],"id":"https://a.test/users/me/statuses/1/activity","type":"Create",` +
		`"actor":"https://a.test/users/me","object":{"id":"https://a.test/users/me/statuses/1","type":"Note",` +
		`"inReplyTo":"https://b.test/notes/9","published":"2026-11-22T11:00:00Z","url":"https://a.test/@me/1",` +
		`"attributedTo":"https://a.test/users/me","to":["https://www.w3.org/ns/activitystreams#Public"],` +
		`"cc":["https://a.test/users/me/followers"],"sensitive":false,"content":"<p>Tom & \"Jerry\"</p>",` +
		`"contentMap":{"en":"<p>Tom & \"Jerry\"</p>"},"attachment":[],"tag":[{"type":"Hashtag","name":"#x","href":"https://a.test/tags/x"}]},` +
		`"published":"2026-11-22T11:00:00Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://a.test/users/me/followers"]}`
	if string(got) != want {
		t.Errorf("Marshal:\n got %s\nwant %s", got, want)
	}

	// encoding/json gives the same document, HTML-escaped.
	std, err := json.Marshal(create)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(std, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("json.Marshal differs from Marshal:\n%s\n%s", std, got)
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}

// TestVocabMarshalPreservesFractions checks that fractional seconds survive
// and whole seconds are written Mastodon's way.
func TestVocabMarshalPreservesFractions(t *testing.T) {
	for in, want := range map[string]string{
		"2022-01-21T16:38:30.243Z":         "2022-01-21T16:38:30.243Z",
		"2020-03-11T10:01:52.714918+00:00": "2020-03-11T10:01:52.714918Z",
		"2018-02-12T14:08:20Z":             "2018-02-12T14:08:20Z",
		"2025-02-01T11:39:50.000Z":         "2025-02-01T11:39:50Z",
	} {
		o, err := Decode([]byte(`{"published":"` + in + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := Marshal(o)
		if w := `{"published":"` + want + `"}`; string(got) != w {
			t.Errorf("%s: got %s, want %s", in, got, w)
		}
	}
}

// TestVocabRefJSON covers Ref and Refs used on their own, inside other
// structs, through encoding/json.
func TestVocabRefJSON(t *testing.T) {
	type holder struct {
		R  Ref    `json:"r"`
		Rs Refs   `json:"rs"`
		O  Object `json:"o"`
	}
	in := holder{R: IRI("a"), Rs: Refs{IRI("b"), {}, Embed(&Object{ID: "c", Type: "Note"})}, O: Object{ID: "d", Type: "Note"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"r":"a","rs":["b",{"id":"c","type":"Note"}],"o":{"id":"d","type":"Note"}}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out holder
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	in.Rs = Refs{IRI("b"), Embed(&Object{ID: "c", Type: "Note"})}
	vocabEq(t, "decoded holder", out, in)

	for data, want := range map[string]Ref{`null`: {}, `"x"`: IRI("x"), `["", "y"]`: IRI("y"), `{"type":"Note"}`: {Obj: &Object{Type: "Note"}}} {
		var r Ref
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			t.Errorf("Ref %s: %v", data, err)
		}
		vocabEq(t, "Ref "+data, r, want)
	}
	for _, data := range []string{`1`, `true`, `{`} {
		var r Ref
		var rs Refs
		if r.UnmarshalJSON([]byte(data)) == nil || rs.UnmarshalJSON([]byte(data)) == nil {
			t.Errorf("%s decoded as a reference", data)
		}
	}
	if b, _ := json.Marshal(Ref{}); string(b) != "null" {
		t.Errorf("zero Ref = %s", b)
	}
	if b, _ := json.Marshal(Refs(nil)); string(b) != "[]" {
		t.Errorf("nil Refs = %s, want []", b)
	}
	if b, _ := json.Marshal(Ref{ID: "x", Obj: &Object{Type: "Note"}}); string(b) != `{"id":"x","type":"Note"}` {
		t.Errorf("embedded object without id = %s", b)
	}
}

// TestVocabDepthLimit: deep nesting must stay cheap, degrade to IRIs past
// maxDepth, and still round-trip.
func TestVocabDepthLimit(t *testing.T) {
	const levels = 5000
	var b strings.Builder
	for i := range levels {
		b.WriteString(`{"id":"https://a.test/` + strings.Repeat("x", i%3) + `","type":"Announce","object":`)
	}
	b.WriteString(`"https://a.test/end"`)
	b.WriteString(strings.Repeat("}", levels))
	start := time.Now()
	o, err := Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("decoding %d levels took %v", levels, d)
	}
	depth := 0
	for cur := o; ; depth++ {
		r := cur.Object.First()
		if r.Obj == nil {
			if r.ID == "" {
				t.Fatalf("level %d lost its id", depth)
			}
			break
		}
		cur = r.Obj
	}
	vocabEq(t, "embedded levels", depth, maxDepth)
	vocabRoundTrip(t, o)
}

func TestVocabMarshalCycle(t *testing.T) {
	o := &Object{ID: "a", Type: "Note"}
	o.Object = Refs{Embed(o)}
	if _, err := Marshal(o); err == nil {
		t.Error("Marshal of a cyclic object succeeded")
	}
}

func TestVocabHelpers(t *testing.T) {
	for _, s := range []string{Public, "as:Public", "Public"} {
		if !IsPublic(s) || !IRIs("x", s).HasPublic() {
			t.Errorf("IsPublic(%q) = false", s)
		}
	}
	if IsPublic("https://www.w3.org/ns/activitystreams#public") || IRIs("x").HasPublic() {
		t.Error("IsPublic accepts a lookalike")
	}
	rs := Refs{{}, IRI("https://a.test/x?c=1"), Embed(&Object{Type: "Note"})}
	vocabEq(t, "IDs", rs.IDs(), []string{"https://a.test/x?c=1"})
	vocabEq(t, "First", rs.First(), IRI("https://a.test/x?c=1"))
	vocabEq(t, "Contains exact", []bool{rs.Contains("https://a.test/x?c=1"), rs.Contains("https://a.test/x")}, []bool{true, false})
	vocabEq(t, "IRIs()", IRIs(), Refs(nil))
	vocabEq(t, "Embed(nil)", Embed(nil), Ref{})
	vocabEq(t, "IsZero", []bool{Ref{}.IsZero(), IRI("x").IsZero(), Ref{Obj: &Object{}}.IsZero()}, []bool{true, false, false})
	o := &Object{Type: "Person"}
	vocabEq(t, "AllTypes", o.AllTypes(), []string{"Person"})
	vocabEq(t, "HasType", []bool{o.HasType("Person"), o.HasType("Service")}, []bool{true, false})
	vocabEq(t, "AllTypes empty", (&Object{}).AllTypes(), []string(nil))
}

func TestVocabURLString(t *testing.T) {
	urls := Refs{
		IRI("https://a.test/page"),
		Embed(&Object{Type: "Link", Href: "https://a.test/v.webm", MediaType: "video/webm"}),
		Embed(&Object{Type: "Link", Href: "https://a.test/v.mp4", MediaType: "Video/MP4; codecs=avc1"}),
		Embed(&Object{Type: "Image", MediaType: "image/png", URL: IRIs("https://a.test/i.png")}),
		Embed(&Object{Type: "Link"}),
	}
	for prefer, want := range map[string]string{
		"":          "https://a.test/page",
		"video/mp4": "https://a.test/v.mp4",
		"video/*":   "https://a.test/v.webm",
		"video/":    "https://a.test/v.webm",
		"image/png": "https://a.test/i.png",
		"text/html": "https://a.test/page",
	} {
		vocabEq(t, "URLString("+prefer+")", urls.URLString(prefer), want)
	}
	vocabEq(t, "no url", (&Object{}).URLString("text/html"), "")
	cyclic := &Object{Type: "Image"}
	cyclic.URL = Refs{Embed(cyclic)}
	vocabEq(t, "cyclic url", cyclic.URLString(""), "")
}

func BenchmarkVocabDecodeFixtures(b *testing.B) {
	var docs [][]byte
	for _, path := range vocabFixtureFiles(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, data)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, d := range docs {
			if _, err := Decode(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkVocabDecodeDeep is the worst case the depth limit guards against:
// a 1 MB chain of embedded objects.
func BenchmarkVocabDecodeDeep(b *testing.B) {
	const levels = 9000
	var sb strings.Builder
	for range levels {
		sb.WriteString(`{"type":"Announce","tag":[{"name":"` + strings.Repeat("x", 80) + `"}],"object":`)
	}
	sb.WriteString(`"x"` + strings.Repeat("}", levels))
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
