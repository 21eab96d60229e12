package ap

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"roost/store"
)

// actorWant is what an actor fixture must become. Every field is compared,
// zero values included.
type actorWant struct {
	file string
	acct store.Account // URI, handle, texts, URLs, key id, flags
	// noteHas is a piece of the sanitised note; fields lists the profile
	// field names; emojis the shortcodes.
	noteHas string
	fields  []string
	emojis  []string
	created string // RFC 3339, "" for none
}

func actorFixtureWants() []actorWant {
	return []actorWant{
		{file: "mastodon_actor_person.json", acct: store.Account{
			URI: "https://masto.qa.urbanwildlife.biz/users/mastodon", Username: "mastodon",
			Domain: "masto.qa.urbanwildlife.biz", DisplayName: "Mastodon",
			URL:             "https://masto.qa.urbanwildlife.biz/@mastodon",
			AvatarURL:       "https://masto.qa.urbanwildlife.biz/system/accounts/avatars/109/105/103/301/739/269/original/2cf61ff96e94cb1d.png",
			Inbox:           "https://masto.qa.urbanwildlife.biz/users/mastodon/inbox",
			Outbox:          "https://masto.qa.urbanwildlife.biz/users/mastodon/outbox",
			SharedInbox:     "https://masto.qa.urbanwildlife.biz/inbox",
			FollowersURL:    "https://masto.qa.urbanwildlife.biz/users/mastodon/followers",
			FollowingURL:    "https://masto.qa.urbanwildlife.biz/users/mastodon/following",
			FeaturedURL:     "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/featured",
			FeaturedTagsURL: "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/tags",
			PublicKeyID:     "https://masto.qa.urbanwildlife.biz/users/mastodon#main-key",
			ActorType:       "Person",
		}, created: "2022-10-03T00:00:00Z"},
		{file: "mastodon_actor_person_pem_spaces.json", acct: store.Account{
			URI: "https://activitypub.academy/users/brauca_darradiul", Username: "brauca_darradiul",
			Domain: "activitypub.academy", DisplayName: "Brauca Darradiul",
			URL:             "https://activitypub.academy/@brauca_darradiul",
			Inbox:           "https://activitypub.academy/users/brauca_darradiul/inbox",
			Outbox:          "https://activitypub.academy/users/brauca_darradiul/outbox",
			SharedInbox:     "https://activitypub.academy/inbox",
			FollowersURL:    "https://activitypub.academy/users/brauca_darradiul/followers",
			FollowingURL:    "https://activitypub.academy/users/brauca_darradiul/following",
			FeaturedURL:     "https://activitypub.academy/users/brauca_darradiul/collections/featured",
			FeaturedTagsURL: "https://activitypub.academy/users/brauca_darradiul/collections/tags",
			PublicKeyID:     "https://activitypub.academy/users/brauca_darradiul#main-key",
			ActorType:       "Person",
		}, created: "2024-09-12T00:00:00Z"},
		{file: "mastodon_actor_service_indexable_memorial.json", acct: store.Account{
			URI: "https://mastodont.cat/users/fediverse", Username: "fediverse", Domain: "mastodont.cat",
			DisplayName: "fediverse's stats", URL: "https://mastodont.cat/@fediverse",
			AvatarURL:       "https://mastodont.cat/system/accounts/avatars/000/149/323/original/33201dbeb139a24a.png",
			HeaderURL:       "https://mastodont.cat/system/accounts/headers/000/149/323/original/75c861d59e5a8860.jpeg",
			Inbox:           "https://mastodont.cat/users/fediverse/inbox",
			Outbox:          "https://mastodont.cat/users/fediverse/outbox",
			SharedInbox:     "https://mastodont.cat/inbox",
			FollowersURL:    "https://mastodont.cat/users/fediverse/followers",
			FollowingURL:    "https://mastodont.cat/users/fediverse/following",
			FeaturedURL:     "https://mastodont.cat/users/fediverse/collections/featured",
			FeaturedTagsURL: "https://mastodont.cat/users/fediverse/collections/tags",
			PublicKeyID:     "https://mastodont.cat/users/fediverse#main-key",
			ActorType:       "Service", Bot: true, Discoverable: true,
		}, noteHas: `<a href="https://mastodont.cat/@fediverse" class="u-url mention" rel="nofollow noopener noreferrer" target="_blank">`,
			fields: []string{"code", "my user-agent", "coded by"}, created: "2020-05-13T00:00:00Z"},
		{file: "gotosocial_actor_person.json", acct: store.Account{
			URI: "http://localhost:8080/users/the_mighty_zork", Username: "the_mighty_zork",
			Domain: "localhost:8080", DisplayName: "original zork (he/they)",
			URL:          "http://localhost:8080/@the_mighty_zork",
			AvatarURL:    "http://localhost:8080/fileserver/01F8MH1H7YV1Z7D2C8K2730QBF/avatar/original/01F8MH58A357CV5K7R7TJMSH6S.jpg",
			HeaderURL:    "http://localhost:8080/fileserver/01F8MH1H7YV1Z7D2C8K2730QBF/header/original/01PFPMWK2FF0D9WMHEJHR07C3Q.jpg",
			Inbox:        "http://localhost:8080/users/the_mighty_zork/inbox",
			Outbox:       "http://localhost:8080/users/the_mighty_zork/outbox",
			FollowersURL: "http://localhost:8080/users/the_mighty_zork/followers",
			FollowingURL: "http://localhost:8080/users/the_mighty_zork/following",
			FeaturedURL:  "http://localhost:8080/users/the_mighty_zork/collections/featured",
			PublicKeyID:  "http://localhost:8080/users/the_mighty_zork/main-key",
			ActorType:    "Person", Discoverable: true,
		}, noteHas: "<p>hey yo this is my profile!</p>", created: "2022-05-20T11:09:18Z"},
		{file: "gotosocial_actor_aliased_moved.json", acct: store.Account{
			URI: "http://localhost:8080/users/the_mighty_zork", Username: "the_mighty_zork",
			Domain: "localhost:8080", DisplayName: "original zork (he/they)",
			URL:          "http://localhost:8080/@the_mighty_zork",
			AvatarURL:    "http://localhost:8080/fileserver/01F8MH1H7YV1Z7D2C8K2730QBF/avatar/original/01F8MH58A357CV5K7R7TJMSH6S.jpg",
			HeaderURL:    "http://localhost:8080/fileserver/01F8MH1H7YV1Z7D2C8K2730QBF/header/original/01PFPMWK2FF0D9WMHEJHR07C3Q.jpg",
			Inbox:        "http://localhost:8080/users/the_mighty_zork/inbox",
			Outbox:       "http://localhost:8080/users/the_mighty_zork/outbox",
			FollowersURL: "http://localhost:8080/users/the_mighty_zork/followers",
			FollowingURL: "http://localhost:8080/users/the_mighty_zork/following",
			FeaturedURL:  "http://localhost:8080/users/the_mighty_zork/collections/featured",
			PublicKeyID:  "http://localhost:8080/users/the_mighty_zork/main-key",
			ActorType:    "Person", Discoverable: true,
			AlsoKnownAs: []string{"http://localhost:8080/users/1happyturtle"},
			MovedToURI:  "http://localhost:8080/users/1happyturtle",
		}, noteHas: "<p>hey yo this is my profile!</p>", created: "2022-05-20T11:09:18Z"},
		{file: "pleroma_actor_person.json", acct: store.Account{
			URI: "https://queer.hacktivis.me/users/lanodan", Username: "lanodan", Domain: "queer.hacktivis.me",
			DisplayName:  "Haelwenn /элвэн/ :bzh:",
			URL:          "https://queer.hacktivis.me/users/lanodan",
			AvatarURL:    "https://queer.hacktivis.me/media/d23cf9b0-5586-4592-aca5-9a52777a6042/avatar_HD.png",
			HeaderURL:    "https://queer.hacktivis.me/media/37b6ce56-8c24-4e64-bd70-a76e84ab0c69/53a48a3a49ed5e5637a84e4f3663df17f8d764244bbc1027ba03cfc446e8b7bd.jpg",
			Inbox:        "https://queer.hacktivis.me/users/lanodan/inbox",
			Outbox:       "https://queer.hacktivis.me/users/lanodan/outbox",
			SharedInbox:  "https://queer.hacktivis.me/inbox",
			FollowersURL: "https://queer.hacktivis.me/users/lanodan/followers",
			FollowingURL: "https://queer.hacktivis.me/users/lanodan/following",
			FeaturedURL:  "https://queer.hacktivis.me/users/lanodan/collections/featured",
			PublicKeyID:  "https://queer.hacktivis.me/users/lanodan#main-key",
			ActorType:    "Person",
		}, noteHas: "Lang: Français(natif)", emojis: []string{"anarchy", "bzh", "gentoo"}},
		{file: "misskey_actor_person.json", acct: store.Account{
			URI: "https://misskey.io/users/83ssedkv53", Username: "aimu", Domain: "misskey.io",
			DisplayName:  "あいむ",
			URL:          "https://misskey.io/@aimu",
			AvatarURL:    "https://s3.arkjp.net/misskey/webpublic-3f7e93c0-34f5-443c-acc0-f415cb2342b4.jpg",
			HeaderURL:    "https://s3.arkjp.net/misskey/webpublic-2db63d1d-490b-488b-ab62-c93c285f26b6.png",
			Inbox:        "https://misskey.io/users/83ssedkv53/inbox",
			Outbox:       "https://misskey.io/users/83ssedkv53/outbox",
			SharedInbox:  "https://misskey.io/inbox",
			FollowersURL: "https://misskey.io/users/83ssedkv53/followers",
			FollowingURL: "https://misskey.io/users/83ssedkv53/following",
			PublicKeyID:  "https://misskey.io/users/83ssedkv53#main-key",
			ActorType:    "Person", Discoverable: true,
		}, noteHas: `<a href="https://twitter.com/aimu_53" rel="nofollow noopener noreferrer" target="_blank">`},
		{file: "honk_actor_person.json", acct: store.Account{
			URI: "https://honk.example.org/u/honk_user", Username: "honk_user", Domain: "honk.example.org",
			DisplayName:  "honk_user",
			URL:          "https://honk.example.org/u/honk_user",
			AvatarURL:    "https://honk.example.org/a?a=https%3A%2F%2Fhonk.example.org%2Fu%2Fhonk_user",
			Inbox:        "https://honk.example.org/u/honk_user/inbox",
			Outbox:       "https://honk.example.org/u/honk_user/outbox",
			FollowersURL: "https://honk.example.org/u/honk_user/followers",
			FollowingURL: "https://honk.example.org/u/honk_user/following",
			PublicKeyID:  "https://honk.example.org/u/honk_user#key",
			ActorType:    "Person",
		}, noteHas: "<p>Honk account</p>"},
		{file: "takahe_actor_person.json", acct: store.Account{
			URI: "https://fedi.vision/@vote@fedi.vision/", Username: "vote", Domain: "fedi.vision",
			DisplayName:  "FediVision Vote Bot",
			URL:          "https://fedi.vision/@vote/",
			AvatarURL:    "https://eu-central-1.linodeobjects.com:443/st4/profile_images/2024/5/9/RwqTbeYx16gauXPXvt-CaysOnGw.webp",
			Inbox:        "https://fedi.vision/@vote@fedi.vision/inbox/",
			Outbox:       "https://fedi.vision/@vote@fedi.vision/outbox/",
			SharedInbox:  "https://fedi.vision/inbox/",
			FollowersURL: "https://fedi.vision/@vote@fedi.vision/followers/",
			FollowingURL: "https://fedi.vision/@vote@fedi.vision/following/",
			PublicKeyID:  "https://fedi.vision/@vote@fedi.vision/#main-key",
			// "toot:discoverable": true, a prefixed key (FEDERATION.md §8.2).
			ActorType: "Person", Discoverable: true,
		}, noteHas: "this is the bot that will count", fields: []string{"More details"}, created: "2024-05-09T09:04:04Z"},
		{file: "lemmy_actor_person.json", acct: store.Account{
			URI: "https://enterprise.lemmy.ml/u/picard", Username: "picard", Domain: "enterprise.lemmy.ml",
			DisplayName: "Jean-Luc Picard",
			URL:         "https://enterprise.lemmy.ml/u/picard", // no url: the id
			AvatarURL:   "https://enterprise.lemmy.ml/pictrs/image/ed9ej7.jpg",
			HeaderURL:   "https://enterprise.lemmy.ml/pictrs/image/XenaYI5hTn.png",
			Inbox:       "https://enterprise.lemmy.ml/u/picard/inbox",
			Outbox:      "https://enterprise.lemmy.ml/u/picard/outbox",
			SharedInbox: "https://enterprise.lemmy.ml/inbox",
			PublicKeyID: "https://enterprise.lemmy.ml/u/picard#main-key",
			ActorType:   "Person",
		}, noteHas: "<strong>Enterprise</strong>", created: "2020-01-17T01:38:22.348392Z"},
		{file: "lemmy_actor_group.json", acct: store.Account{
			URI: "https://enterprise.lemmy.ml/c/tenforward", Username: "tenforward", Domain: "enterprise.lemmy.ml",
			DisplayName:  "Ten Forward",
			URL:          "https://enterprise.lemmy.ml/c/tenforward",
			AvatarURL:    "https://enterprise.lemmy.ml/pictrs/image/waqyZwLAy4.webp",
			HeaderURL:    "https://enterprise.lemmy.ml/pictrs/image/Wt8zoMcCmE.jpg",
			Inbox:        "https://enterprise.lemmy.ml/c/tenforward/inbox",
			Outbox:       "https://enterprise.lemmy.ml/c/tenforward/outbox",
			SharedInbox:  "https://enterprise.lemmy.ml/inbox",
			FollowersURL: "https://enterprise.lemmy.ml/c/tenforward/followers",
			FeaturedURL:  "https://enterprise.lemmy.ml/c/tenforward//featured",
			PublicKeyID:  "https://enterprise.lemmy.ml/c/tenforward#main-key",
			ActorType:    "Group",
		}, noteHas: "<p>Lounge and recreation facility</p>", created: "2019-06-02T16:43:50.799554Z"},
		{file: "peertube_actor_group_channel.json", acct: store.Account{
			URI: "https://spectra.video/video-channels/fediforum_demos", Username: "fediforum_demos",
			Domain: "spectra.video", DisplayName: "FediForum Demos",
			URL:          "https://spectra.video/video-channels/fediforum_demos",
			AvatarURL:    "https://spectra.video/lazy-static/avatars/b13e5038-0169-420e-a6bc-4f5e0666fae6.png",
			HeaderURL:    "https://spectra.video/lazy-static/banners/bbe18e2c-79ef-4640-9193-cdd743c964dd.png",
			Inbox:        "https://spectra.video/video-channels/fediforum_demos/inbox",
			Outbox:       "https://spectra.video/video-channels/fediforum_demos/outbox",
			SharedInbox:  "https://spectra.video/inbox",
			FollowersURL: "https://spectra.video/video-channels/fediforum_demos/followers",
			FollowingURL: "https://spectra.video/video-channels/fediforum_demos/following",
			PublicKeyID:  "https://spectra.video/video-channels/fediforum_demos#main-key",
			ActorType:    "Group",
		}, noteHas: "Demos from the the FediForum Unconference", created: "2024-03-26T19:34:06.073Z"},
		{file: "wordpress_actor_person.json", acct: store.Account{
			URI: "https://pfefferle.org/author/pfefferle/", Username: "matthias", Domain: "pfefferle.org",
			DisplayName:  "Matthias Pfefferle",
			URL:          "https://pfefferle.org/author/pfefferle/",
			AvatarURL:    "https://secure.gravatar.com/avatar/a2bdca7870e859658cece96c044b3be5?s=120&#038;d=mm&#038;r=g",
			Inbox:        "https://pfefferle.org/wp-json/activitypub/1.0/users/1/inbox",
			Outbox:       "https://pfefferle.org/wp-json/activitypub/1.0/users/1/outbox",
			SharedInbox:  "https://pfefferle.org/wp-json/activitypub/1.0/inbox",
			FollowersURL: "https://pfefferle.org/wp-json/activitypub/1.0/users/1/followers",
			FollowingURL: "https://pfefferle.org/wp-json/activitypub/1.0/users/1/following",
			FeaturedURL:  "https://pfefferle.org/wp-json/activitypub/1.0/users/1/collections/featured",
			PublicKeyID:  "https://pfefferle.org/author/pfefferle/#main-key",
			ActorType:    "Person", Discoverable: true, Indexable: true,
		}, noteHas: "Open Web Lead", fields: []string{"Blog", "Profile"}, created: "2014-02-10T15:23:08Z"},
		{file: "friendica_actor_person.json", acct: store.Account{
			URI: "https://soc.schuerz.at/profile/jakob", Username: "jakob", Domain: "soc.schuerz.at",
			DisplayName:  "Jakob :friendica:",
			URL:          "https://soc.schuerz.at/profile/jakob",
			AvatarURL:    "https://soc.schuerz.at/photo/profile/jakob.png?ts=1630598950",
			Inbox:        "https://soc.schuerz.at/inbox/jakob",
			Outbox:       "https://soc.schuerz.at/outbox/jakob",
			SharedInbox:  "https://soc.schuerz.at/inbox",
			FollowersURL: "https://soc.schuerz.at/followers/jakob",
			FollowingURL: "https://soc.schuerz.at/following/jakob",
			PublicKeyID:  "https://soc.schuerz.at/profile/jakob#main-key",
			ActorType:    "Person", Locked: true, Discoverable: true,
		}, noteHas: "#FediverseOnlyAccount",
			fields: []string{"Mobilizon", "Lemmy", "Funkwhale", "Peertube", "Pixelfed", "about:"}},
		{file: "bridgyfed_actor_person.json", acct: store.Account{
			URI: "https://fed.brid.gy/jk.nipponalba.scot", Username: "jk.nipponalba.scot", Domain: "fed.brid.gy",
			DisplayName:  "J K 🇯🇵🏴󠁧󠁢󠁳󠁣󠁴󠁿",
			URL:          "https://fed.brid.gy/r/https://jk.nipponalba.scot",
			AvatarURL:    "https://jk.nipponalba.scot/images/profile.jpg",
			HeaderURL:    "https://jk.nipponalba.scot/images/profile.jpg",
			Inbox:        "https://fed.brid.gy/jk.nipponalba.scot/inbox",
			Outbox:       "https://fed.brid.gy/jk.nipponalba.scot/outbox",
			FollowersURL: "https://fed.brid.gy/jk.nipponalba.scot/followers",
			FollowingURL: "https://fed.brid.gy/jk.nipponalba.scot/following",
			// The key has no owner; embedded in the actor it is the actor's.
			PublicKeyID: "https://fed.brid.gy/jk.nipponalba.scot#key",
			ActorType:   "Person",
		}},
		{file: "mitra_actor_multikey.json", acct: store.Account{
			URI: "https://wizard.casa/users/hongminhee", Username: "hongminhee", Domain: "wizard.casa",
			DisplayName:  "洪 民憙 (Hong Minhee)",
			URL:          "https://wizard.casa/users/hongminhee",
			Inbox:        "https://wizard.casa/users/hongminhee/inbox",
			Outbox:       "https://wizard.casa/users/hongminhee/outbox",
			FollowersURL: "https://wizard.casa/users/hongminhee/followers",
			FollowingURL: "https://wizard.casa/users/hongminhee/following",
			FeaturedURL:  "https://wizard.casa/users/hongminhee/collections/featured",
			PublicKeyID:  "https://wizard.casa/users/hongminhee#main-key",
			ActorType:    "Person", Locked: true,
		}},
		{file: "owncast_actor_service_single_attachment.json", acct: store.Account{
			URI: "https://owncast.example.org/federation/user/rgh", Username: "rgh", Domain: "owncast.example.org",
			DisplayName:  "Rob's Owncast Server",
			URL:          "https://owncast.example.org/federation/user/rgh",
			AvatarURL:    "https://owncast.example.org/logo/external",
			HeaderURL:    "https://owncast.example.org/logo/external",
			Inbox:        "https://owncast.example.org/federation/user/rgh/inbox",
			Outbox:       "https://owncast.example.org/federation/user/rgh/outbox",
			FollowersURL: "https://owncast.example.org/federation/user/rgh/followers",
			PublicKeyID:  "https://owncast.example.org/federation/user/rgh#main-key",
			ActorType:    "Service", Bot: true, Discoverable: true,
		}, noteHas: "linux audio stuff", fields: []string{"Stream"}, created: "2022-05-22T18:44:57Z"},
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vocabFixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestActorFixtures serves every actor fixture at its id and fetches it
// with Actor: the conversion of each implementation's actor, the fetch
// path and the stored row.
func TestActorFixtures(t *testing.T) {
	n := newTestNet(t)
	ctx := context.Background()
	for _, w := range actorFixtureWants() {
		t.Run(w.file, func(t *testing.T) {
			// A store per fixture: both GoToSocial fixtures share an id.
			f, st := newTestFed(t, n, true)
			n.serveDoc(w.acct.URI, "application/activity+json", readFixture(t, w.file))
			a, err := f.Actor(ctx, w.acct.URI, false)
			if err != nil {
				t.Fatal(err)
			}
			checkActor(t, a, w)
			stored, err := st.GetAccountByURI(ctx, w.acct.URI)
			if err != nil {
				t.Fatal(err)
			}
			checkActor(t, stored, w)
			if stored.ID != a.ID || stored.ID == 0 {
				t.Errorf("stored id %d, returned %d", stored.ID, a.ID)
			}
			if _, err := ParsePublicKeyPEM(stored.PublicKeyPEM); err != nil {
				t.Errorf("stored key: %v", err)
			}
		})
	}
}

func checkActor(t *testing.T, a *store.Account, w actorWant) {
	t.Helper()
	got := store.Account{
		URI: a.URI, Username: a.Username, Domain: a.Domain, DisplayName: a.DisplayName, URL: a.URL,
		AvatarURL: a.AvatarURL, HeaderURL: a.HeaderURL, Inbox: a.Inbox, Outbox: a.Outbox,
		SharedInbox: a.SharedInbox, FollowersURL: a.FollowersURL, FollowingURL: a.FollowingURL,
		FeaturedURL: a.FeaturedURL, FeaturedTagsURL: a.FeaturedTagsURL, PublicKeyID: a.PublicKeyID,
		ActorType: a.ActorType, Locked: a.Locked, Bot: a.Bot, Discoverable: a.Discoverable,
		Indexable: a.Indexable, AlsoKnownAs: a.AlsoKnownAs, MovedToURI: a.MovedToURI,
	}
	want := w.acct
	if len(got.AlsoKnownAs) == 0 && len(want.AlsoKnownAs) == 0 {
		got.AlsoKnownAs, want.AlsoKnownAs = nil, nil
	}
	gj, _ := json.MarshalIndent(got, "", " ")
	wj, _ := json.MarshalIndent(want, "", " ")
	if string(gj) != string(wj) {
		t.Errorf("account:\n got %s\nwant %s", gj, wj)
	}
	if w.noteHas != "" && !strings.Contains(a.Note, w.noteHas) {
		t.Errorf("note %q lacks %q", a.Note, w.noteHas)
	}
	var names []string
	for _, fl := range a.Fields {
		names = append(names, fl.Name)
		if strings.Contains(fl.Value, " translate=") || strings.Contains(fl.Value, `rel="me`) {
			t.Errorf("field %q value not sanitised: %q", fl.Name, fl.Value)
		}
	}
	if !slices.Equal(names, w.fields) {
		t.Errorf("fields %q, want %q", names, w.fields)
	}
	var codes []string
	for _, e := range a.Emojis {
		codes = append(codes, e.Shortcode)
		if !strings.HasPrefix(e.URL, "https://") {
			t.Errorf("emoji %s url %q", e.Shortcode, e.URL)
		}
	}
	if !slices.Equal(codes, w.emojis) {
		t.Errorf("emojis %q, want %q", codes, w.emojis)
	}
	created := ""
	if w.created != "" {
		created = a.CreatedAt.UTC().Format(time.RFC3339Nano)
		// The store keeps milliseconds.
		want, _ := time.Parse(time.RFC3339Nano, w.created)
		if !a.CreatedAt.Equal(want) && !a.CreatedAt.Equal(want.Truncate(time.Millisecond)) {
			t.Errorf("created %s, want %s", created, w.created)
		}
	}
	if a.FetchedAt.IsZero() || time.Since(a.FetchedAt) > time.Minute {
		t.Errorf("fetched at %v", a.FetchedAt)
	}
}

// TestActorFixturesCovered makes sure every actor among the fixtures is in
// the table above, and that ActorFromObject refuses the other documents as
// not actors (or, for actor-shaped stubs, as unusable) without panicking.
func TestActorFixturesCovered(t *testing.T) {
	f, _ := newTestFed(t, nil, true)
	covered := map[string]bool{}
	for _, w := range actorFixtureWants() {
		covered[w.file] = true
	}
	for _, path := range vocabFixtureFiles(t) {
		name := filepath.Base(path)
		o, err := Decode(readFixture(t, name))
		if err != nil {
			continue
		}
		a, err := f.ActorFromObject(o)
		switch {
		case covered[name] && err != nil:
			t.Errorf("%s: %v", name, err)
		case !covered[name] && err == nil:
			t.Errorf("%s converts to actor %s@%s but is not in the table", name, a.Username, a.Domain)
		case !covered[name] && !errors.Is(err, errNotActor):
			t.Errorf("%s: err = %v, want %v", name, err, errNotActor)
		}
	}
}

// actorDoc builds an actor document; extra adds or (with nil) removes
// properties.
func actorDoc(t *testing.T, id, username, pem string, extra map[string]any) []byte {
	t.Helper()
	m := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": username,
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"publicKey":         map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": pem},
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return jsonBody(t, m)
}

func TestActorFromObjectRejects(t *testing.T) {
	f, _ := newTestFed(t, nil, true)
	secure, _ := newTestFed(t, nil, false)
	_, pem := remoteKey(t)
	const id = "https://remote.test/users/a"
	tests := []struct {
		name  string
		fed   *Federation
		extra map[string]any
		id    string
		want  error
	}{
		{"note", f, map[string]any{"type": "Note"}, id, errNotActor},
		{"no type", f, map[string]any{"type": nil}, id, errNotActor},
		{"no preferredUsername", f, map[string]any{"preferredUsername": nil}, id, errNotActor},
		{"blank preferredUsername", f, map[string]any{"preferredUsername": "  "}, id, errNotActor},
		{"username with @", f, map[string]any{"preferredUsername": "a@evil.test"}, id, errNotActor},
		{"username with newline", f, map[string]any{"preferredUsername": "a\nb"}, id, errNotActor},
		{"no inbox", f, map[string]any{"inbox": nil}, id, errNotActor},
		{"javascript inbox", f, map[string]any{"inbox": "javascript:alert(1)"}, id, errNotActor},
		{"key of another actor", f, map[string]any{"publicKey": map[string]any{
			"id": "https://remote.test/users/b#main-key", "owner": "https://remote.test/users/b", "publicKeyPem": pem}},
			id, errKeyNotClaimed},
		{"our own host", f, nil, "https://home.test/users/me", ErrLocalURI},
		{"our own host, other path", f, nil, "https://HOME.test:443/users/x", ErrLocalURI},
		{"http id without insecure", secure, nil, "http://remote.test/users/a", ErrInsecureURL},
		{"relative id", f, nil, "/users/a", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Decode(actorDoc(t, tc.id, "a", pem, tc.extra))
			if err != nil {
				t.Fatal(err)
			}
			a, err := tc.fed.ActorFromObject(o)
			if err == nil {
				t.Fatalf("accepted as %+v", a)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := f.ActorFromObject(nil); !errors.Is(err, errNotActor) {
		t.Errorf("nil: err = %v", err)
	}
}

// TestActorFromObjectHostile checks what a hostile profile can smuggle:
// markup is sanitised and only http(s) links survive.
func TestActorFromObjectHostile(t *testing.T) {
	f, _ := newTestFed(t, nil, true)
	_, pem := remoteKey(t)
	const id = "https://remote.test/users/a"
	o, err := Decode(actorDoc(t, id, "a", pem, map[string]any{
		"type":    []any{"Object", "Application"},
		"name":    "  Eve  ",
		"summary": `<script>alert(1)</script><p onclick="x()">hi <a href="javascript:alert(2)">there</a></p>`,
		"url":     "javascript:alert(3)",
		"icon":    map[string]any{"type": "Image", "url": "data:image/png;base64,AAAA"},
		"image":   map[string]any{"type": "Image", "url": "https://remote.test/h.png"},
		"inbox":   nil,
		"endpoints": map[string]any{
			"sharedInbox": "https://remote.test/inbox",
		},
		"attachment": []any{
			map[string]any{"type": "PropertyValue", "name": "site", "value": `<img src=x onerror="y()"><a href="https://eve.test" rel="me">eve</a>`},
			map[string]any{"type": "PropertyValue", "name": "", "value": "nameless"},
			map[string]any{"type": "Note", "name": "not a field"},
		},
		"tag": []any{
			map[string]any{"type": "Emoji", "name": ":ok_1:", "icon": map[string]any{"url": "https://remote.test/e.png"}},
			map[string]any{"type": "Emoji", "name": ":bad code:", "icon": map[string]any{"url": "https://remote.test/e.png"}},
			map[string]any{"type": "Emoji", "name": ":js:", "icon": map[string]any{"url": "javascript:x"}},
			map[string]any{"type": "Hashtag", "name": "#tag"},
		},
		"alsoKnownAs": []any{"https://old.test/users/a", "acct:a@old.test"},
		"followers":   map[string]any{"id": id + "/followers", "type": "OrderedCollection", "totalItems": 3},
		"published":   "2020-01-02T03:04:05.123Z",
	}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.ActorFromObject(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "alert(1)", "onclick", "javascript:"} {
		if strings.Contains(a.Note, bad) {
			t.Errorf("note keeps %q: %q", bad, a.Note)
		}
	}
	if !strings.Contains(a.Note, "hi ") {
		t.Errorf("note lost its text: %q", a.Note)
	}
	checks := []struct{ what, got, want string }{
		{"type", a.ActorType, "Application"},
		{"display name", a.DisplayName, "Eve"},
		{"url falls back to the id", a.URL, id},
		{"avatar", a.AvatarURL, ""},
		{"header", a.HeaderURL, "https://remote.test/h.png"},
		{"inbox from the shared inbox", a.Inbox, "https://remote.test/inbox"},
		{"shared inbox", a.SharedInbox, "https://remote.test/inbox"},
		{"followers id of an embedded collection", a.FollowersURL, id + "/followers"},
		{"also known as", strings.Join(a.AlsoKnownAs, " "), "https://old.test/users/a"},
		{"created", a.CreatedAt.Format(time.RFC3339Nano), "2020-01-02T03:04:05.123Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !a.Bot {
		t.Error("an Application is a bot")
	}
	if len(a.Fields) != 1 || a.Fields[0].Name != "site" || strings.Contains(a.Fields[0].Value, "onerror") ||
		!strings.Contains(a.Fields[0].Value, `href="https://eve.test"`) {
		t.Errorf("fields = %+v", a.Fields)
	}
	if len(a.Emojis) != 1 || a.Emojis[0] != (store.Emoji{Shortcode: "ok_1", URL: "https://remote.test/e.png"}) {
		t.Errorf("emojis = %+v", a.Emojis)
	}
}

// TestActorCache checks the 24-hour cache, refresh, and that a refetch
// keeps the row (id, created_at) while taking the new document.
func TestActorCache(t *testing.T) {
	n := newTestNet(t)
	f, st := newTestFed(t, n, true)
	ctx := context.Background()
	_, pem := remoteKey(t)
	const id = "https://remote.test/users/alice"
	serve := func(name string, followers any) {
		n.serveDoc(id, "application/activity+json", actorDoc(t, id, "alice", pem, map[string]any{
			"name": name, "followers": followers,
			"outbox": map[string]any{"id": id + "/outbox", "type": "OrderedCollection", "totalItems": 7},
		}))
	}
	serve("Alice", map[string]any{"id": id + "/followers", "type": "OrderedCollection", "totalItems": 12})
	now := time.Now()
	f.cfg.Now = func() time.Time { return now }

	first, err := f.Actor(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if first.FollowersCount != 12 || first.StatusesCount != 7 || first.FollowingCount != 0 {
		t.Errorf("counts %d/%d/%d, want 12/0/7", first.FollowersCount, first.FollowingCount, first.StatusesCount)
	}
	// The followers collection is now a bare IRI: its count is kept.
	serve("Alice Two", id+"/followers")
	now = now.Add(23 * time.Hour)
	a, err := f.Actor(ctx, id, false)
	if err != nil || a.DisplayName != "Alice" || n.hitCount(id) != 1 {
		t.Fatalf("within 24 h: %v, %+v, %d fetches", err, a, n.hitCount(id))
	}
	a, err = f.Actor(ctx, id, true)
	if err != nil || a.DisplayName != "Alice Two" || n.hitCount(id) != 2 {
		t.Fatalf("refresh: %v, %+v, %d fetches", err, a, n.hitCount(id))
	}
	if a.ID != first.ID || !a.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("refetch changed the row: id %d→%d, created %v→%v", first.ID, a.ID, first.CreatedAt, a.CreatedAt)
	}
	if a.FollowersCount != 12 || a.StatusesCount != 7 {
		t.Errorf("counts after a refetch without them: %d/%d", a.FollowersCount, a.StatusesCount)
	}
	serve("Alice Three", id+"/followers")
	now = now.Add(25 * time.Hour)
	a, err = f.Actor(ctx, id, false)
	if err != nil || a.DisplayName != "Alice Three" || n.hitCount(id) != 3 {
		t.Fatalf("after 24 h: %v, %+v, %d fetches", err, a, n.hitCount(id))
	}
	stored, err := st.GetAccountByURI(ctx, id)
	if err != nil || stored.DisplayName != "Alice Three" || stored.ID != first.ID || stored.FollowersCount != 12 {
		t.Errorf("stored %+v, %v", stored, err)
	}
	if !stored.FetchedAt.Equal(now.Truncate(time.Millisecond)) {
		t.Errorf("fetched at %v, want %v", stored.FetchedAt, now)
	}
}

func TestActorRejects(t *testing.T) {
	n := newTestNet(t)
	f, st := newTestFed(t, n, true)
	ctx := context.Background()
	_, pem := remoteKey(t)

	// Served at one id, claiming another.
	n.serveDoc("https://remote.test/users/eve", "application/activity+json",
		actorDoc(t, "https://remote.test/users/mallory", "mallory", pem, nil))
	if _, err := f.Actor(ctx, "https://remote.test/users/eve", false); !errors.Is(err, errIDMismatch) {
		t.Errorf("id mismatch: err = %v", err)
	}
	// Redirected to another actor: Get believes the last URL, Actor wants
	// the id it asked for.
	n.handle("https://remote.test/users/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://remote.test/users/new", http.StatusMovedPermanently)
	})
	n.serveDoc("https://remote.test/users/new", "application/activity+json",
		actorDoc(t, "https://remote.test/users/new", "new", pem, nil))
	if _, err := f.Actor(ctx, "https://remote.test/users/old", false); !errors.Is(err, errIDMismatch) {
		t.Errorf("redirected actor: err = %v", err)
	}
	// Our own actor is never fetched nor returned.
	owner, err := st.GetOwner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Actor(ctx, owner.Account.URI, false); !errors.Is(err, ErrLocalURI) {
		t.Errorf("owner: err = %v", err)
	}
	// A 410 says the actor is gone.
	n.handle("https://remote.test/users/gone", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGone)
	})
	if _, err := f.Actor(ctx, "https://remote.test/users/gone", false); !errors.Is(err, ErrGone) {
		t.Errorf("gone: err = %v", err)
	}
	// A peer cannot overwrite the owner's row through SaveActor either.
	fake := *owner.Account
	fake.Domain = "home.test"
	if err := f.SaveActor(ctx, &fake); !errors.Is(err, ErrLocalURI) {
		t.Errorf("SaveActor of the owner: err = %v", err)
	}
}

// TestUpsertRemoteAccount covers the store side: the handle moves to the
// newest fetch, the row of a uri keeps its id, and the owner's row is
// never written.
func TestUpsertRemoteAccount(t *testing.T) {
	_, st := newTestFed(t, nil, true)
	ctx := context.Background()
	acct := func(uri, username string) *store.Account {
		return &store.Account{URI: uri, Username: username, Domain: "remote.test", Inbox: uri + "/inbox", FetchedAt: time.Now()}
	}
	old := acct("https://remote.test/users/1", "alice")
	if err := st.UpsertRemoteAccount(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Another actor now holds the handle (the server gave it away).
	newer := acct("https://remote.test/users/2", "Alice")
	if err := st.UpsertRemoteAccount(ctx, newer); err != nil {
		t.Fatalf("handle clash: %v", err)
	}
	if got, err := st.GetAccountByHandle(ctx, "alice", "remote.test"); err != nil || got.URI != newer.URI {
		t.Fatalf("handle belongs to %v, %v", got, err)
	}
	moved, err := st.GetAccountByURI(ctx, old.URI)
	if err != nil || moved.ID != old.ID || !strings.HasPrefix(moved.Username, "alice~") {
		t.Fatalf("old row: %+v, %v", moved, err)
	}
	// The old actor renames itself: same row, new handle.
	renamed := acct(old.URI, "alicia")
	renamed.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.UpsertRemoteAccount(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	if renamed.ID != old.ID || !renamed.CreatedAt.Equal(old.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("rename changed id or created_at: %d %v", renamed.ID, renamed.CreatedAt)
	}
	if got, err := st.GetAccountByHandle(ctx, "alicia", "remote.test"); err != nil || got.ID != old.ID {
		t.Errorf("renamed: %v, %v", got, err)
	}
	// The owner.
	owner, err := st.GetOwner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hijack := acct(owner.Account.URI, "me")
	if err := st.UpsertRemoteAccount(ctx, hijack); !errors.Is(err, store.ErrConflict) {
		t.Errorf("owner's uri: err = %v", err)
	}
	local := acct("https://remote.test/users/3", "x")
	local.Domain = ""
	if err := st.UpsertRemoteAccount(ctx, local); !errors.Is(err, store.ErrConflict) {
		t.Errorf("no domain: err = %v", err)
	}
	if o, err := st.GetOwner(ctx); err != nil || o.Account.Username != "me" || o.Account.Domain != "" {
		t.Errorf("owner changed: %+v, %v", o.Account, err)
	}
	// GetAccountByKeyID.
	keyed := acct("https://remote.test/users/4", "keyed")
	keyed.PublicKeyID = keyed.URI + "#main-key"
	if err := st.UpsertRemoteAccount(ctx, keyed); err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetAccountByKeyID(ctx, keyed.PublicKeyID); err != nil || got.ID != keyed.ID {
		t.Errorf("by key id: %v, %v", got, err)
	}
	for _, k := range []string{"", "https://remote.test/users/4", "https://remote.test/users/4#other"} {
		if _, err := st.GetAccountByKeyID(ctx, k); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("key id %q: err = %v", k, err)
		}
	}
}

// wfHandler serves a WebFinger JRD for one resource, checking the request
// is what Mastodon sends: unsigned, with its Accept.
func wfHandler(t *testing.T, resource, contentType string, jrd []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Signature") != "" {
			t.Error("webfinger request is signed")
		}
		if got := r.Header.Get("Accept"); got != acceptJRD {
			t.Errorf("webfinger Accept = %q", got)
		}
		if !strings.EqualFold(r.URL.Query().Get("resource"), resource) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(jrd)
	}
}

// fixtureJRD is a JRD fixture with its host names replaced.
func fixtureJRD(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	return []byte(strings.NewReplacer(replace...).Replace(string(readFixture(t, name))))
}

func TestResolveHandle(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, true)
	ctx := context.Background()
	_, pem := remoteKey(t)
	serveActor := func(id, username string) {
		n.serveDoc(id, "application/activity+json", actorDoc(t, id, username, pem, nil))
	}

	// Mastodon.
	n.handle("https://masto.test/.well-known/webfinger", wfHandler(t, "acct:tcit@masto.test", "application/jrd+json; charset=utf-8",
		fixtureJRD(t, "mastodon_webfinger_jrd.json", "social.tcit.fr", "masto.test")))
	serveActor("https://masto.test/users/tcit", "tcit")
	// Pleroma: two self links.
	n.handle("https://pleroma.test/.well-known/webfinger", wfHandler(t, "acct:lain@pleroma.test", "application/json",
		fixtureJRD(t, "pleroma_webfinger_jrd.json", "pleroma.soykaf.com", "pleroma.test")))
	serveActor("https://pleroma.test/users/lain", "lain")
	// Lemmy: null fields.
	n.handle("https://lemmy.test/.well-known/webfinger", wfHandler(t, "acct:pfefferle@lemmy.test", "application/json",
		fixtureJRD(t, "lemmy_webfinger_jrd_null_fields.json", "lemmy.ml", "lemmy.test")))
	serveActor("https://lemmy.test/u/pfefferle", "pfefferle")
	// Gancio: minimal, no aliases.
	n.handle("https://gancio.test/.well-known/webfinger", wfHandler(t, "acct:gancio@gancio.test", "application/jrd+json",
		fixtureJRD(t, "gancio_webfinger_jrd_minimal.json", "demo.gancio.org", "gancio.test")))
	serveActor("https://gancio.test/federation/u/gancio", "gancio")
	// WordPress: the recorded response, with its own Content-Type.
	var rec struct {
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	if err := json.Unmarshal(readFixture(t, "wordpress_webfinger_recorded_http_response.json"), &rec); err != nil {
		t.Fatal(err)
	}
	n.handle("https://wp.test/.well-known/webfinger", wfHandler(t, "acct:pfefferle@wp.test", rec.Headers["content-type"],
		[]byte(strings.ReplaceAll(rec.Body, `notiz.blog`, "wp.test"))))
	serveActor("https://wp.test/author/matthias-pfefferle/", "pfefferle")
	// Handle domain ≠ server domain: example.test points at
	// ap.example.test, which confirms the subject.
	splitJRD := func() []byte {
		return jsonBody(t, map[string]any{"subject": "acct:alice@example.test", "links": []any{
			map[string]any{"rel": "self", "type": "application/activity+json", "href": "https://ap.example.test/users/alice"}}})
	}
	n.handle("https://example.test/.well-known/webfinger", wfHandler(t, "acct:alice@example.test", "application/jrd+json", splitJRD()))
	n.handle("https://ap.example.test/.well-known/webfinger", wfHandler(t, "acct:alice@ap.example.test", "application/jrd+json", splitJRD()))
	serveActor("https://ap.example.test/users/alice", "alice")
	// A "self" link that is not ActivityStreams comes first.
	n.handle("https://typed.test/.well-known/webfinger", wfHandler(t, "acct:dan@typed.test", "application/jrd+json",
		jsonBody(t, map[string]any{"subject": "acct:dan@typed.test", "links": []any{
			map[string]any{"rel": "self", "type": "text/html", "href": "https://typed.test/@dan"},
			map[string]any{"rel": "self", "href": "https://typed.test/@dan"},
			map[string]any{"rel": "self", "type": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
				"href": "https://typed.test/users/dan"}}})))
	serveActor("https://typed.test/users/dan", "dan")
	// A local instance without TLS (Insecure): https fails, http answers.
	n.plainOnly["plain.test"] = true
	n.handle("http://plain.test/.well-known/webfinger", wfHandler(t, "acct:carol@plain.test", "application/jrd+json",
		jsonBody(t, map[string]any{"subject": "acct:carol@plain.test", "links": []any{
			map[string]any{"rel": "self", "type": "application/activity+json", "href": "http://plain.test/users/carol"}}})))
	serveActor("http://plain.test/users/carol", "carol")

	for _, tc := range []struct{ handle, uri, username, domain string }{
		{"tcit@masto.test", "https://masto.test/users/tcit", "tcit", "masto.test"},
		{"@TCIT@Masto.Test", "https://masto.test/users/tcit", "tcit", "masto.test"},
		{"acct:tcit@masto.test", "https://masto.test/users/tcit", "tcit", "masto.test"},
		{"lain@pleroma.test", "https://pleroma.test/users/lain", "lain", "pleroma.test"},
		{"pfefferle@lemmy.test", "https://lemmy.test/u/pfefferle", "pfefferle", "lemmy.test"},
		{"gancio@gancio.test", "https://gancio.test/federation/u/gancio", "gancio", "gancio.test"},
		{"pfefferle@wp.test", "https://wp.test/author/matthias-pfefferle/", "pfefferle", "wp.test"},
		{"alice@example.test", "https://ap.example.test/users/alice", "alice", "ap.example.test"},
		{"carol@plain.test", "http://plain.test/users/carol", "carol", "plain.test"},
		{"dan@typed.test", "https://typed.test/users/dan", "dan", "typed.test"},
	} {
		a, err := f.ResolveHandle(ctx, tc.handle)
		if err != nil {
			t.Errorf("%s: %v", tc.handle, err)
			continue
		}
		if a.URI != tc.uri || a.Username != tc.username || a.Domain != tc.domain || a.ID == 0 {
			t.Errorf("%s: got %s (%s@%s, id %d)", tc.handle, a.URI, a.Username, a.Domain, a.ID)
		}
	}
	// ResolveHandle always refetches the actor (Actor with refresh).
	if got := n.hitCount("https://masto.test/users/tcit"); got != 3 {
		t.Errorf("tcit fetched %d times for 3 resolutions", got)
	}
}

func TestResolveHandleRejects(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, true)
	ctx := context.Background()
	_, pem := remoteKey(t)
	selfJRD := func(subject, href string) []byte {
		return jsonBody(t, map[string]any{"subject": subject, "links": []any{
			map[string]any{"rel": "self", "type": "application/activity+json", "href": href}}})
	}

	// Pleroma's spoofed subject: bad.test answers for an account on
	// elsewhere.test, which does not confirm it.
	n.handle("https://bad.test/.well-known/webfinger", wfHandler(t, "acct:meanie@bad.test", "application/jrd+json",
		fixtureJRD(t, "pleroma_spoofed_webfinger_subject.json", "bad.com", "bad.test", "notwhereitshouldbe.org", "elsewhere.test")))
	n.serveDoc("https://bad.test/users/meanie", "application/activity+json",
		actorDoc(t, "https://bad.test/users/meanie", "oopsie", pem, nil))
	if _, err := f.ResolveHandle(ctx, "meanie@bad.test"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("spoofed subject, unconfirmed: err = %v", err)
	}
	// …and when elsewhere.test answers as someone else.
	n.handle("https://elsewhere.test/.well-known/webfinger", wfHandler(t, "acct:oopsie@elsewhere.test", "application/jrd+json",
		selfJRD("acct:someone@elsewhere.test", "https://bad.test/users/meanie")))
	if _, err := f.ResolveHandle(ctx, "meanie@bad.test"); !errors.Is(err, errNoLoopBack) {
		t.Errorf("spoofed subject, other answer: err = %v", err)
	}
	if n.hitCount("https://bad.test/users/meanie") != 0 {
		t.Error("the spoofed actor was fetched")
	}

	// evil.test points at bob on victim.test, whose own WebFinger leads
	// elsewhere: no loop-back.
	n.handle("https://evil.test/.well-known/webfinger", wfHandler(t, "acct:mallory@evil.test", "application/jrd+json",
		selfJRD("acct:mallory@evil.test", "https://victim.test/users/bob")))
	n.serveDoc("https://victim.test/users/bob", "application/activity+json",
		actorDoc(t, "https://victim.test/users/bob", "bob", pem, nil))
	n.handle("https://victim.test/.well-known/webfinger", wfHandler(t, "acct:bob@victim.test", "application/jrd+json",
		selfJRD("acct:bob@victim.test", "https://victim.test/users/robert")))
	if _, err := f.ResolveHandle(ctx, "mallory@evil.test"); !errors.Is(err, errNoLoopBack) {
		t.Errorf("no loop-back: err = %v", err)
	}

	// Gone, missing self link, our own host, malformed handles.
	n.handle("https://gone.test/.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGone)
	})
	if _, err := f.ResolveHandle(ctx, "x@gone.test"); !errors.Is(err, ErrGone) {
		t.Errorf("gone: err = %v", err)
	}
	n.handle("https://noself.test/.well-known/webfinger", wfHandler(t, "acct:x@noself.test", "application/jrd+json",
		fixtureJRD(t, "friendica_webfinger_jrd.json", "squeet.me", "noself.test", `"rel": "self"`, `"rel": "alternate"`, "lain", "x")))
	if _, err := f.ResolveHandle(ctx, "x@noself.test"); err == nil || !strings.Contains(err.Error(), "self link") {
		t.Errorf("no self link: err = %v", err)
	}
	if _, err := f.ResolveHandle(ctx, "me@home.test"); !errors.Is(err, ErrLocalURI) {
		t.Errorf("own host: err = %v", err)
	}
	for _, h := range []string{"", "alice", "@alice", "alice@", "@@x", "a/b@host.test", "a@host.test/path", "a@ho st"} {
		if _, err := f.ResolveHandle(ctx, h); err == nil {
			t.Errorf("handle %q accepted", h)
		}
	}
}

// TestPublicKey covers keyId resolution: Mastodon's #main-key in the
// actor, GoToSocial's stub, a bare key, the cache, rotation, and keys that
// their supposed owner does not claim.
func TestPublicKey(t *testing.T) {
	n := newTestNet(t)
	f, st := newTestFed(t, n, true)
	ctx := context.Background()

	aliceKey, alicePEM := remoteKey(t)
	const alice = "https://remote.test/users/alice"
	n.serveDoc(alice, "application/activity+json", actorDoc(t, alice, "alice", alicePEM, nil))

	t.Run("mastodon", func(t *testing.T) {
		a, pub, err := f.PublicKey(ctx, alice+"#main-key", false)
		if err != nil {
			t.Fatal(err)
		}
		if a.URI != alice || !aliceKey.PublicKey.Equal(pub) {
			t.Fatalf("got %s, key match %v", a.URI, aliceKey.PublicKey.Equal(pub))
		}
		// Cached now: no second fetch.
		if _, pub, err := f.PublicKey(ctx, alice+"#main-key", false); err != nil || !aliceKey.PublicKey.Equal(pub) {
			t.Fatalf("cached: %v", err)
		}
		if got := n.hitCount(alice); got != 1 {
			t.Errorf("%d fetches, want 1", got)
		}
	})

	t.Run("gotosocial stub", func(t *testing.T) {
		key, pem := remoteKey(t)
		const zork = "https://gts.test/users/the_mighty_zork"
		actor := mapJSON(t, readFixture(t, "gotosocial_actor_person.json"), "http://localhost:8080", "https://gts.test")
		actor["publicKey"].(map[string]any)["publicKeyPem"] = pem
		n.serveDoc(zork, "application/activity+json", jsonBody(t, actor))
		stub := mapJSON(t, readFixture(t, "gotosocial_publickey_stub.json"), "https://example.org/users/example_user", zork)
		stub["publicKey"].(map[string]any)["publicKeyPem"] = pem
		n.serveDoc(zork+"/main-key", "application/activity+json", jsonBody(t, stub))

		a, pub, err := f.PublicKey(ctx, zork+"/main-key", false)
		if err != nil {
			t.Fatal(err)
		}
		if a.URI != zork || a.Inbox != zork+"/inbox" || !key.PublicKey.Equal(pub) {
			t.Errorf("got %s inbox %q", a.URI, a.Inbox)
		}
		if n.hitCount(zork) != 1 || n.hitCount(zork+"/main-key") != 1 {
			t.Errorf("fetches: actor %d, stub %d", n.hitCount(zork), n.hitCount(zork+"/main-key"))
		}
	})

	t.Run("bare key claimed", func(t *testing.T) {
		key, pem := remoteKey(t)
		const carol, keyID = "https://remote.test/users/carol", "https://remote.test/keys/carol"
		n.serveDoc(carol, "application/activity+json", actorDoc(t, carol, "carol", pem, map[string]any{
			"publicKey": map[string]any{"id": keyID, "owner": carol, "publicKeyPem": pem}}))
		n.serveDoc(keyID, "application/ld+json", jsonBody(t, map[string]any{
			"id": keyID, "type": "Key", "owner": carol, "publicKeyPem": pem}))
		a, pub, err := f.PublicKey(ctx, keyID, false)
		if err != nil || a.URI != carol || !key.PublicKey.Equal(pub) {
			t.Fatalf("got %v, %v", a, err)
		}
	})

	t.Run("key not claimed by its owner", func(t *testing.T) {
		_, evilPEM := remoteKey(t)
		const keyID = "https://evil.test/keys/1"
		n.serveDoc(keyID, "application/activity+json", jsonBody(t, map[string]any{
			"id": keyID, "type": "Key", "owner": alice, "publicKeyPem": evilPEM}))
		if _, _, err := f.PublicKey(ctx, keyID, false); !errors.Is(err, errKeyNotClaimed) {
			t.Errorf("err = %v, want %v", err, errKeyNotClaimed)
		}
		// A keyId naming the actor with a key id it does not use.
		if _, _, err := f.PublicKey(ctx, alice+"#other-key", false); !errors.Is(err, errKeyNotClaimed) {
			t.Errorf("other fragment: err = %v, want %v", err, errKeyNotClaimed)
		}
		// A stub naming an owner whose actor names another key.
		const stubID = "https://remote.test/users/alice/main-key"
		n.serveDoc(stubID, "application/activity+json", jsonBody(t, map[string]any{
			"id": alice, "type": "Person", "publicKey": map[string]any{"id": stubID, "owner": alice, "publicKeyPem": evilPEM}}))
		if _, _, err := f.PublicKey(ctx, stubID, false); !errors.Is(err, errKeyNotClaimed) {
			t.Errorf("stub: err = %v, want %v", err, errKeyNotClaimed)
		}
		// None of this replaced alice's key.
		a, err := st.GetAccountByURI(ctx, alice)
		if err != nil || a.PublicKeyPEM != alicePEM || a.PublicKeyID != alice+"#main-key" {
			t.Errorf("alice's key changed: %v %q", err, a.PublicKeyID)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		newKey, newPEM := remoteKey(t)
		n.serveDoc(alice, "application/activity+json", actorDoc(t, alice, "alice", newPEM, nil))
		_, pub, err := f.PublicKey(ctx, alice+"#main-key", false)
		if err != nil || !aliceKey.PublicKey.Equal(pub) {
			t.Fatalf("without refresh the cached key answers: %v", err)
		}
		_, pub, err = f.PublicKey(ctx, alice+"#main-key", true)
		if err != nil || !newKey.PublicKey.Equal(pub) {
			t.Fatalf("refresh: %v, new key %v", err, newKey.PublicKey.Equal(pub))
		}
		_, pub, err = f.PublicKey(ctx, alice+"#main-key", false)
		if err != nil || !newKey.PublicKey.Equal(pub) {
			t.Fatalf("after refresh: %v", err)
		}
	})

	t.Run("local", func(t *testing.T) {
		before := n.hitCount("https://home.test/users/me")
		if _, _, err := f.PublicKey(ctx, "https://home.test/users/me#main-key", false); !errors.Is(err, ErrLocalURI) {
			t.Errorf("err = %v", err)
		}
		if n.hitCount("https://home.test/users/me") != before {
			t.Error("fetched our own key")
		}
	})
}

// mapJSON decodes a fixture into a map after replacing old with new in
// its text.
func mapJSON(t *testing.T, data []byte, old, new string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(data), old, new)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzParseJRD checks that WebFinger parsing never panics and that a self
// link it picks is one of the document's links.
func FuzzParseJRD(f *testing.F) {
	for _, name := range []string{"mastodon_webfinger_jrd.json", "pleroma_webfinger_jrd.json",
		"lemmy_webfinger_jrd_null_fields.json", "gancio_webfinger_jrd_minimal.json",
		"friendica_webfinger_jrd.json", "pleroma_spoofed_webfinger_subject.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"links":[null,1,"x",{"rel":"self","type":["a"],"href":{"x":1}}],"aliases":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := parseJRD(data)
		if err != nil {
			return
		}
		if href := j.selfLink(); href != "" && !slices.ContainsFunc(j.Links, func(l jrdLink) bool { return l.Href == href && l.Rel == "self" }) {
			t.Fatalf("self link %q not among the links", href)
		}
		if href := j.selfLink(); href != "" && !slices.ContainsFunc(j.Links, func(l jrdLink) bool {
			return l.Href == href && (strings.Contains(l.Type, "activity+json") || strings.Contains(l.Type, "ld+json"))
		}) {
			t.Fatalf("self link %q has no activitystreams type", href)
		}
	})
}

// FuzzActorFromObject checks that converting any decoded document never
// panics and that an accepted actor has what the store and handlers rely
// on: an id, a handle and an http(s) inbox.
func FuzzActorFromObject(f *testing.F) {
	for _, path := range vocabFixtureFiles(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	fed, _ := newTestFed(f, nil, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Decode(data)
		if err != nil {
			return
		}
		a, err := fed.ActorFromObject(o)
		if err != nil {
			return
		}
		if a.URI != o.ID || a.Domain == "" || !validUsername(a.Username) || webURL(a.Inbox) == "" {
			t.Fatalf("accepted %+v", a)
		}
		if a.PublicKeyPEM != "" {
			if _, err := ParsePublicKeyPEM(a.PublicKeyPEM); err != nil {
				t.Fatalf("unparseable key kept: %v", err)
			}
		}
	})
}
