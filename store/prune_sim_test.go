package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// The simulation of TestPruneKeepsDatabaseBounded: sixty days of what the
// inbox stores for an owner who follows 2,000 accounts, with the daily
// prune the server runs. README.md gives its numbers. go test runs it at
// an eighth of the traffic (simFollowedCI accounts, the owner an eighth as
// busy), which takes twenty seconds on two cores; ROOST_SIM_FULL=1 runs it
// in full, which takes three minutes.
const (
	simFollowed   = 2000
	simFollowedCI = 250
	simDays       = 60
	simPruneAfter = 30 * 24 * time.Hour // serve's --prune-after default
	// simBound is what README.md says the database stays under, and
	// simBoundCI the same for the smaller simulation. (A small one needs
	// more than its share: fewer posts meet the same strangers less often,
	// so it stores more accounts per post.)
	simBound   = 400 << 20
	simBoundCI = 60 << 20
)

// simAccount is a remote account of the simulation: one of the followed,
// or one of the many the owner does not follow, who appear through boosts,
// replies and mentions.
type simAccount struct {
	name     string
	domain   string
	id       int64     // 0 while not stored (never fetched, or pruned)
	fetched  time.Time // when last stored
	pending  bool      // to be stored before the day's activities
	followed bool
	rate     float64 // posts a day, for the followed
	last     *simStatus
}

func (a *simAccount) uri() string { return "https://" + a.domain + "/users/" + a.name }

// lastAt is a's latest status if it is still there at at: not deleted, and
// far from the prune's cutoff.
func (a *simAccount) lastAt(at time.Time) *simStatus {
	if a.last == nil || a.last.gone || at.Sub(a.last.at) > 20*24*time.Hour {
		return nil
	}
	return a.last
}

// simStatus is a status the simulation stored.
type simStatus struct {
	id      int64
	uri     string
	author  *simAccount // nil for the owner's
	conv    string
	at      time.Time
	parent  *simStatus
	public  bool
	link    string // the page it links to, if any
	gone    bool   // deleted by its author
	touched bool   // the owner interacted with it: never deleted by the simulation
}

// simEvent is one thing that happens; apply stores it as the inbox (or,
// for the owner's own doings, the API) would.
type simEvent struct {
	at   time.Time
	kind simKind
	who  *simAccount
	// filled in by resolve:
	target   *simStatus // replied to, boosted, favourited, edited or deleted
	fetched  *simStatus // an unknown status fetched first (a boost's original, a reply's parent)
	mentions []*simAccount
	status   *simStatus // the status the event makes
}

type simKind int

func (k simKind) String() string {
	return [...]string{"posts", "boosts", "edits", "deletes", "owner posts", "owner replies", "owner favourites",
		"owner boosts", "owner bookmarks", "owner mentioned", "replies to owner", "owner favourited",
		"owner boosted", "owner followed"}[k]
}

const (
	simPost          simKind = iota // a followed account posts or replies
	simBoost                        // a followed account boosts
	simEdit                         // a followed account edits a recent post
	simDelete                       // a followed account deletes a recent post
	simOwnerPost                    // the owner posts
	simOwnerReply                   // the owner replies to a remote status
	simOwnerFav                     // the owner favourites a remote status
	simOwnerBoost                   // the owner boosts a remote status
	simOwnerBookmark                // the owner bookmarks a remote status
	simMentionOwner                 // someone mentions the owner
	simReplyToOwner                 // someone replies to the owner
	simFavOwner                     // someone favourites the owner's status
	simBoostOwner                   // someone boosts the owner's status
	simFollowOwner                  // someone follows the owner
)

// sim holds the state of the simulated fediverse.
type sim struct {
	t        *testing.T
	st       *Store
	owner    *Account
	r        *rand.Rand
	unknownZ *rand.Zipf // which unknown account: a few are everywhere
	domainZ  *rand.Zipf
	tagZ     *rand.Zipf
	followed []*simAccount
	unknown  map[int]*simAccount
	seq      int64
	// days holds the statuses of each day, for picking targets.
	days    [][]*simStatus
	fetched [][]*simStatus // unknown statuses fetched each day: boosted again
	ownSts  []*simStatus
	// What the owner interacted with, and must outlive the prune.
	keep          map[*simStatus]string
	notifications int
	followers     int
	written       int // statuses and boosts
	counts        map[simKind]int
	toFetch       []*simAccount
	fetches       int
}

// simOwnerRates is how often the owner does something, or something
// happens to the owner, a day, when following simFollowed accounts.
var simOwnerRates = []struct {
	kind simKind
	rate float64
}{
	{simOwnerPost, 2}, {simOwnerReply, 3}, {simOwnerFav, 25}, {simOwnerBoost, 3}, {simOwnerBookmark, 1},
	{simMentionOwner, 4}, {simReplyToOwner, 4}, {simFavOwner, 20}, {simBoostOwner, 3}, {simFollowOwner, 2},
}

func newSim(t *testing.T, st *Store, owner *Account, followed int) *sim {
	r := rand.New(rand.NewPCG(2024, 30))
	s := &sim{t: t, st: st, owner: owner, r: r,
		unknownZ: rand.NewZipf(r, 1.05, 2, uint64(150*followed)),
		domainZ:  rand.NewZipf(r, 1.3, 1, 4000),
		tagZ:     rand.NewZipf(r, 1.1, 1, 200_000),
		unknown:  map[int]*simAccount{},
		keep:     map[*simStatus]string{},
		counts:   map[simKind]int{},
	}
	// A few very active accounts, more moderate ones, many quiet ones:
	// three posts a day on average.
	for i := range followed {
		a := &simAccount{name: fmt.Sprintf("%s%d", simWords[i%len(simWords)], i), domain: s.domain(), followed: true}
		switch u := r.Float64(); {
		case u < 0.05:
			a.rate = 25 + 20*r.Float64()
		case u < 0.30:
			a.rate = 2 + 3*r.Float64()
		default:
			a.rate = 1.1 * r.Float64()
		}
		s.followed = append(s.followed, a)
	}
	return s
}

func (s *sim) domain() string {
	n := s.domainZ.Uint64()
	switch n {
	case 0:
		return "mastodon.social"
	case 1:
		return "hachyderm.io"
	case 2:
		return "fosstodon.org"
	}
	return fmt.Sprintf("%s%d.example", simWords[n%uint64(len(simWords))], n)
}

// stranger returns an unknown account, the popular ones more often.
func (s *sim) stranger() *simAccount {
	i := int(s.unknownZ.Uint64())
	a := s.unknown[i]
	if a == nil {
		a = &simAccount{name: fmt.Sprintf("%s_%d", simWords[i%len(simWords)], i), domain: s.domain()}
		s.unknown[i] = a
	}
	return a
}

// account makes the row the fetcher would store for a.
func (s *sim) account(a *simAccount, at time.Time) *Account {
	uri := a.uri()
	base := "https://" + a.domain
	key := make([]byte, 294)
	for i := range key {
		key[i] = byte(s.r.Uint32())
	}
	b64 := base64.StdEncoding.EncodeToString(key)
	var pem strings.Builder
	pem.WriteString("-----BEGIN PUBLIC KEY-----\n")
	for len(b64) > 64 {
		pem.WriteString(b64[:64] + "\n")
		b64 = b64[64:]
	}
	pem.WriteString(b64 + "\n-----END PUBLIC KEY-----\n")
	var fields []Field
	for i := range s.r.IntN(5) {
		fields = append(fields, Field{Name: simWords[i], Value: `<a href="` + base + `/about" rel="me nofollow noopener" target="_blank">` + a.domain + `/about</a>`})
	}
	media := base + "/system/accounts/" + fmt.Sprint(s.r.Int64N(1<<48)) + "/original/"
	return &Account{URI: uri, Username: a.name, Domain: a.domain, DisplayName: strings.ToUpper(a.name[:1]) + a.name[1:],
		Note: "<p>" + s.words(20+s.r.IntN(200)) + "</p>", URL: base + "/@" + a.name,
		AvatarURL: media + "avatar.png", HeaderURL: media + "header.jpg",
		Inbox: uri + "/inbox", Outbox: uri + "/outbox", SharedInbox: base + "/inbox",
		FollowersURL: uri + "/followers", FollowingURL: uri + "/following", FeaturedURL: uri + "/collections/featured",
		FeaturedTagsURL: uri + "/collections/tags", PublicKeyID: uri + "#main-key", PublicKeyPEM: pem.String(),
		Discoverable: true, Indexable: true, Fields: fields, FollowersCount: s.r.IntN(5000),
		FollowingCount: s.r.IntN(1000), StatusesCount: s.r.IntN(20000), FetchedAt: at}
}

// need notes that a must be stored and fresh at at, as Actor does: the
// server fetches it when unknown or older than a day. fetchAccounts
// stores what need noted.
func (s *sim) need(a *simAccount, at time.Time) {
	if a == nil || a.followed || a.pending || a.id != 0 && at.Sub(a.fetched) < 24*time.Hour {
		return
	}
	a.fetched, a.pending = at, true
	s.toFetch = append(s.toFetch, a)
}

// fetchAccounts stores the accounts need noted, each with its own write,
// as the fetcher does.
func (s *sim) fetchAccounts(ctx context.Context) {
	for _, a := range s.toFetch {
		row := s.account(a, a.fetched)
		if err := s.st.UpsertRemoteAccount(ctx, row); err != nil {
			s.t.Fatal(err)
		}
		a.id, a.pending = row.ID, false
	}
	s.fetches += len(s.toFetch)
	s.toFetch = s.toFetch[:0]
}

// words is n bytes or so of text.
func (s *sim) words(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(simWords[s.r.IntN(len(simWords))])
	}
	return b.String()
}

// textLength is the length of a post's text: most are short, a few long.
func (s *sim) textLength() int {
	return min(40+int(s.r.ExpFloat64()*220), 4000)
}

func (s *sim) poisson(lambda float64) int {
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*s.r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		if p *= s.r.Float64(); p <= l {
			return k
		}
		k++
	}
}

// pick returns a live status stored between from and to days before day,
// public if asked, or nil.
func (s *sim) pick(day, from, to int, public bool) *simStatus {
	for range 20 {
		d := day - from - s.r.IntN(to-from+1)
		if d < 0 || d >= len(s.days) || len(s.days[d]) == 0 {
			continue
		}
		st := s.days[d][s.r.IntN(len(s.days[d]))]
		if !st.gone && (st.public || !public) && st.author != nil {
			return st
		}
	}
	return nil
}

func (s *sim) ownStatus() *simStatus {
	if len(s.ownSts) == 0 {
		return nil
	}
	// Mostly the latest ones.
	n := len(s.ownSts)
	return s.ownSts[max(0, n-1-int(s.r.ExpFloat64()*10))]
}

// dayEvents makes the skeleton of a day: who does what, when.
func (s *sim) dayEvents(start time.Time) []*simEvent {
	var evs []*simEvent
	at := func() time.Time { return start.Add(time.Duration(s.r.Int64N(int64(24 * time.Hour)))) }
	for _, a := range s.followed {
		for range s.poisson(a.rate) {
			evs = append(evs, &simEvent{at: at(), kind: simPost, who: a})
		}
		for range s.poisson(a.rate / 4) {
			evs = append(evs, &simEvent{at: at(), kind: simBoost, who: a})
		}
		for range s.poisson(a.rate / 50) {
			evs = append(evs, &simEvent{at: at(), kind: simEdit, who: a})
		}
		for range s.poisson(a.rate / 100) {
			evs = append(evs, &simEvent{at: at(), kind: simDelete, who: a})
		}
	}
	for _, o := range simOwnerRates {
		for range s.poisson(o.rate * float64(len(s.followed)) / simFollowed) {
			evs = append(evs, &simEvent{at: at(), kind: o.kind})
		}
	}
	slices.SortFunc(evs, func(a, b *simEvent) int { return a.at.Compare(b.at) })
	return evs
}

// resolve plans a day's events in time order: what each is about, the
// statuses it makes, and the accounts the server would fetch for it. What
// an event makes can be answered, boosted and favourited by the later ones.
func (s *sim) resolve(day int, evs []*simEvent) []*simEvent {
	out := evs[:0]
	for _, e := range evs {
		switch e.kind {
		case simPost, simMentionOwner, simReplyToOwner:
			if e.kind != simPost {
				e.who = s.followed[s.r.IntN(len(s.followed))]
				if s.r.IntN(3) == 0 {
					e.who = s.stranger()
				}
			}
			switch u := s.r.Float64(); {
			case e.kind == simReplyToOwner:
				if e.target = s.ownStatus(); e.target == nil {
					continue
				}
			case e.kind == simMentionOwner:
			case u < 0.70: // a post of its own
			case u < 0.80: // a thread of its own
				e.target = e.who.lastAt(e.at)
			case u < 0.91: // joining a recent conversation
				e.target = s.pick(day, 0, 1, false)
			case u < 0.93: // answering an old post
				e.target = s.pick(day, 2, 20, false)
			default: // answering a stranger's post, fetched first
				e.fetched = s.newFetched(day, e.at)
				e.target = e.fetched
			}
			if e.target != nil && e.target.author != nil && e.target.author != e.who {
				e.mentions = append(e.mentions, e.target.author)
			}
			if s.r.IntN(10) == 0 {
				for range 1 + s.r.IntN(2) {
					m := s.followed[s.r.IntN(len(s.followed))]
					if s.r.IntN(2) == 0 {
						m = s.stranger()
					}
					e.mentions = append(e.mentions, m)
				}
			}
			e.status = s.newStatus(day, e.who, e.at, e.target)
			e.who.last = e.status
			if e.kind != simPost {
				e.status.touched = true
				s.keep[e.status] = "mentions the owner"
			}
		case simBoost:
			switch u := s.r.Float64(); {
			case u < 0.3:
				e.target = s.pick(day, 0, 1, true)
			case u < 0.6 && day > 0: // a stranger's post already here, boosted again
				if f := s.fetched[day-1+s.r.IntN(2)]; len(f) > 0 {
					e.target = f[s.r.IntN(len(f))]
				}
			}
			if e.target == nil || e.target.gone {
				e.fetched = s.newFetched(day, e.at)
				e.target = e.fetched
			}
		case simBoostOwner, simFavOwner, simFollowOwner:
			e.who = s.stranger()
			if e.kind != simFollowOwner {
				if e.target = s.ownStatus(); e.target == nil {
					continue
				}
			}
		case simEdit, simDelete:
			if e.target = e.who.lastAt(e.at); e.target == nil || e.target.touched {
				continue
			}
			if e.kind == simDelete {
				e.target.gone = true
				e.who.last = nil
			}
		case simOwnerPost:
			e.status = s.newStatus(day, nil, e.at, nil)
			s.ownSts = append(s.ownSts, e.status)
		case simOwnerReply, simOwnerFav, simOwnerBoost, simOwnerBookmark:
			from, to := 0, 1
			if s.r.IntN(5) == 0 {
				from, to = 2, 20
			}
			if e.target = s.pick(day, from, to, e.kind == simOwnerBoost); e.target == nil {
				continue
			}
			e.target.touched = true
			s.keep[e.target] = e.kind.String()
			if e.kind == simOwnerReply {
				e.mentions = []*simAccount{e.target.author}
				e.status = s.newStatus(day, nil, e.at, e.target)
				s.ownSts = append(s.ownSts, e.status)
			}
		}
		for _, a := range append([]*simAccount{e.who}, e.mentions...) {
			s.need(a, e.at)
		}
		if f := e.fetched; f != nil {
			s.need(f.author, e.at)
		}
		out = append(out, e)
	}
	return out
}

// newFetched is a stranger's status, published a little before at, that
// an event makes the server fetch.
func (s *sim) newFetched(day int, at time.Time) *simStatus {
	published := at.Add(-time.Duration(s.r.Int64N(int64(48 * time.Hour))))
	st := s.newStatus(day, s.stranger(), published, nil)
	st.public = true // what can be boosted, and what its origin serves
	s.fetched[day] = append(s.fetched[day], st)
	return st
}

// newStatus plans a status of a (nil: the owner) and makes it a target for
// what follows.
func (s *sim) newStatus(day int, a *simAccount, at time.Time, parent *simStatus) *simStatus {
	s.seq++
	st := &simStatus{author: a, at: at, parent: parent, public: s.r.IntN(20) != 0}
	s.days[day] = append(s.days[day], st)
	id := fmt.Sprint(at.UnixMilli()<<16 | s.seq&0xffff)
	if a == nil {
		st.uri = s.owner.URI + "/statuses/" + id
	} else {
		st.uri = a.uri() + "/statuses/" + id
	}
	if parent != nil && parent.conv != "" {
		st.conv = parent.conv
	} else {
		host := "example.test"
		if a != nil {
			host = a.domain
		}
		st.conv = "tag:" + host + "," + at.Format("2006-01-02") + ":objectId=" + id + ":objectType=Conversation"
	}
	return st
}

// row makes the status row and parts of st, as statusFromObject would.
func (s *sim) row(st *simStatus, mentions []*simAccount) (*Status, *StatusParts) {
	parent := st.parent
	row := &Status{URI: st.uri, URL: st.uri, Visibility: Public, Language: "en", Conversation: st.conv, CreatedAt: st.at}
	host := "example.test"
	if st.author == nil {
		row.AccountID, row.Local = s.owner.ID, true
	} else {
		host = st.author.domain
		row.AccountID = st.author.id
		row.URL = "https://" + host + "/@" + st.author.name + "/" + st.uri[strings.LastIndexByte(st.uri, '/')+1:]
	}
	if !st.public {
		row.Visibility = Private
	} else if s.r.IntN(5) == 0 {
		row.Visibility = Unlisted
	}
	parts := &StatusParts{}
	var html strings.Builder
	html.WriteString("<p>")
	for _, m := range mentions {
		id := s.owner.ID
		if m != nil {
			id = m.id
		}
		if slices.Contains(parts.Mentions, id) {
			continue
		}
		parts.Mentions = append(parts.Mentions, id)
		name, href := "me", s.owner.URI
		if m != nil {
			name, href = m.name, "https://"+m.domain+"/@"+m.name
		}
		html.WriteString(`<span class="h-card" translate="no"><a href="` + href + `" class="u-url mention">@<span>` + name + `</span></a></span> `)
	}
	if parent != nil {
		row.InReplyToURI = parent.uri
		if parent.id != 0 {
			row.InReplyToID = &parent.id
			row.InReplyToAccountID = &s.owner.ID
			if parent.author != nil {
				row.InReplyToAccountID = &parent.author.id
			}
		}
	}
	html.WriteString(s.words(s.textLength()))
	if s.r.IntN(4) == 0 {
		path := s.words(30)
		st.link = "https://news.example/" + strings.ReplaceAll(path, " ", "-")
		html.WriteString(` <a href="` + st.link +
			`" target="_blank" rel="nofollow noopener"><span class="invisible">https://</span><span class="ellipsis">news.example/` +
			strings.ReplaceAll(path[:10], " ", "-") + `</span><span class="invisible">` + strings.ReplaceAll(path[10:], " ", "-") + `</span></a>`)
	}
	html.WriteString("</p>")
	// Hashtags: on a third of the posts (1 to 5), a few replies.
	tags := 0
	if parent == nil && s.r.IntN(3) == 0 {
		tags = []int{1, 1, 1, 2, 2, 3, 5}[s.r.IntN(7)]
	} else if parent != nil && s.r.IntN(20) == 0 {
		tags = 1
	}
	if tags > 0 {
		html.WriteString("<p>")
		for range tags {
			tag := s.tag()
			if !slices.Contains(parts.Tags, tag) {
				parts.Tags = append(parts.Tags, tag)
				html.WriteString(`<a href="https://` + host + `/tags/` + tag + `" class="mention hashtag" rel="tag">#<span>` + tag + `</span></a> `)
			}
		}
		html.WriteString("</p>")
	}
	row.Content = html.String()
	if s.r.IntN(12) == 0 {
		row.SpoilerText, row.Sensitive = s.words(10+s.r.IntN(30)), true
	}
	// Pictures (remote: a URL and what describes it) on a fifth of the
	// posts and fewer replies, half of them with alt text.
	if st.author != nil && (parent == nil && s.r.IntN(5) == 0 || s.r.IntN(12) == 0) {
		for i := range []int{1, 1, 1, 1, 1, 1, 2, 2, 3, 4}[s.r.IntN(10)] {
			m := &Media{Type: "image", MediaType: "image/jpeg", Width: 1600, Height: 1200, CreatedAt: st.at,
				RemoteURL: fmt.Sprintf("https://files.%s/media_attachments/files/%d/%03d/original/%x.jpg", host, st.at.UnixMilli(), i, s.r.Uint64()),
				Blurhash:  base64.RawURLEncoding.EncodeToString([]byte(s.words(30)))[:28]}
			if s.r.IntN(2) == 0 {
				m.Description = s.words(40 + s.r.IntN(300))
			}
			parts.Media = append(parts.Media, m)
		}
	}
	if parent == nil && s.r.IntN(100) == 0 {
		exp := st.at.Add(24 * time.Hour)
		parts.Poll = &Poll{Options: []PollOption{{Title: s.words(10)}, {Title: s.words(10)}, {Title: s.words(10)}}, ExpiresAt: &exp, UpdatedAt: st.at}
	}
	return row, parts
}

func (s *sim) tag() string {
	n := s.tagZ.Uint64()
	w := len(simWords)
	if n < uint64(w) {
		return simWords[n]
	}
	return simWords[n%uint64(w)] + simWords[(n/uint64(w))%uint64(w)] + fmt.Sprint(n/uint64(w*w))
}

// seen records an activity id as the inbox does on receipt.
func (s *sim) seen(tx *Tx, id string, at time.Time) error {
	_, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO seen_activities (id, seen_at) VALUES (?, ?)`, id, millis(at))
	return err
}

// store inserts a planned status.
func (s *sim) store(tx *Tx, st *simStatus, mentions []*simAccount) error {
	row, parts := s.row(st, mentions)
	if err := tx.InsertStatus(row, parts); err != nil {
		return err
	}
	st.id = row.ID
	s.written++
	if st.author == nil {
		return nil
	}
	return s.seen(tx, st.uri+"/activity", st.at)
}

// apply stores one event in tx, as the inbox (or, for the owner's own
// doings, the API) does.
func (s *sim) apply(tx *Tx, e *simEvent) error {
	s.counts[e.kind]++
	if f := e.fetched; f != nil {
		if err := s.store(tx, f, nil); err != nil {
			return err
		}
	}
	switch e.kind {
	case simPost, simOwnerPost, simOwnerReply:
		return s.store(tx, e.status, e.mentions)
	case simMentionOwner, simReplyToOwner:
		if err := s.store(tx, e.status, append([]*simAccount{nil}, e.mentions...)); err != nil { // nil: the owner
			return err
		}
		return s.notify(tx, NotifyMention, e.who, &e.status.id, e.at)
	case simBoost, simBoostOwner:
		s.seq++
		b := &Status{URI: e.who.uri() + "/statuses/" + fmt.Sprint(e.at.UnixMilli()<<16|s.seq&0xffff) + "/activity", AccountID: e.who.id,
			ReblogOfID: &e.target.id, Visibility: Public, CreatedAt: e.at}
		b.ActivityURI = b.URI
		if err := tx.InsertStatus(b, nil); err != nil {
			return err
		}
		s.written++
		if err := s.seen(tx, b.URI, e.at); err != nil {
			return err
		}
		if e.kind == simBoostOwner {
			return s.notify(tx, NotifyReblog, e.who, &e.target.id, e.at)
		}
	case simEdit:
		at := e.at
		if err := tx.EditStatus(&Status{ID: e.target.id, Content: "<p>" + s.words(s.textLength()) + "</p>", Language: "en", EditedAt: &at}, nil); err != nil {
			return err
		}
		return s.seen(tx, e.target.uri+"#updates/"+fmt.Sprint(at.Unix()), at)
	case simDelete:
		row, err := tx.GetStatusByURI(e.target.uri)
		if err != nil {
			return err
		}
		if err := tx.DeleteStatus(row); err != nil {
			return err
		}
		return s.seen(tx, e.target.uri+"#delete", e.at)
	case simOwnerFav:
		_, err := tx.InsertFavourite(s.owner.ID, e.target.id, "")
		return err
	case simOwnerBoost:
		s.seq++
		b := &Status{URI: s.owner.URI + "/statuses/" + fmt.Sprint(e.at.UnixMilli()<<16|s.seq&0xffff) + "/activity", AccountID: s.owner.ID,
			Local: true, ReblogOfID: &e.target.id, Visibility: Public, CreatedAt: e.at}
		return tx.InsertStatus(b, nil)
	case simOwnerBookmark: // SetBookmark's row; SetBookmark is a write of its own
		_, err := tx.tx.ExecContext(tx.ctx, `INSERT OR IGNORE INTO bookmarks (status_id, id, created_at) VALUES (?, ?, ?)`,
			e.target.id, tx.s.ids.next(e.at), millis(e.at))
		return err
	case simFavOwner:
		like := e.who.uri() + "#likes/" + fmt.Sprint(e.at.UnixMilli())
		if added, err := tx.InsertFavourite(e.who.id, e.target.id, like); err != nil || !added {
			return err
		}
		if err := s.seen(tx, like, e.at); err != nil {
			return err
		}
		return s.notify(tx, NotifyFavourite, e.who, &e.target.id, e.at)
	case simFollowOwner:
		f := &Follow{AccountID: e.who.id, TargetAccountID: s.owner.ID, URI: e.who.uri() + "#follows/" + fmt.Sprint(e.at.UnixMilli()), CreatedAt: e.at}
		if err := tx.InsertFollow(f); errors.Is(err, ErrConflict) {
			return nil // follows already
		} else if err != nil {
			return err
		}
		s.followers++
		if err := s.seen(tx, f.URI, e.at); err != nil {
			return err
		}
		return s.notify(tx, NotifyFollow, e.who, nil, e.at)
	}
	return nil
}

func (s *sim) notify(tx *Tx, typ string, from *simAccount, status *int64, at time.Time) error {
	added, err := tx.InsertNotification(&Notification{Type: typ, FromAccountID: from.id, StatusID: status, CreatedAt: at})
	if added {
		s.notifications++
	}
	return err
}

// forgetPruned marks the unknown accounts that the prune removed.
func (s *sim) forgetPruned(ctx context.Context) {
	stored := map[int64]bool{}
	err := s.st.scanPairs(ctx, func(id, _ int64) { stored[id] = true }, `SELECT id, 0 FROM accounts`)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, a := range s.unknown {
		if a.id != 0 && !stored[a.id] {
			a.id = 0
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return n
}

// TestPruneKeepsDatabaseBounded runs sixty days of federation traffic
// from followed accounts through the store, with the prune and checkpoint
// that serve does daily: once the first month has passed the file must
// stop growing (day 60 at most 10% over day 30), it must stay under its
// documented size, and everything the owner interacted with must stay.
func TestPruneKeepsDatabaseBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes sixty days of federation traffic")
	}
	ctx := context.Background()
	followed, bound := simFollowedCI, int64(simBoundCI)
	if os.Getenv("ROOST_SIM_FULL") != "" {
		followed, bound = simFollowed, simBound
	}
	st := newTestStore(t)
	owner := newOwner(t, st)
	s := newSim(t, st, owner, followed)
	began := time.Now()
	start := began.Add(-simDays * 24 * time.Hour)

	// The owner follows everyone before the simulation starts.
	for _, a := range s.followed {
		row := s.account(a, start)
		if err := st.UpsertRemoteAccount(ctx, row); err != nil {
			t.Fatal(err)
		}
		a.id, a.fetched = row.ID, start
	}
	err := st.Update(ctx, func(tx *Tx) error {
		for _, a := range s.followed {
			if err := tx.InsertFollow(&Follow{AccountID: owner.ID, TargetAccountID: a.id, URI: owner.URI + "#follows/" + a.name, CreatedAt: start}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	type sample struct {
		size, unpruned           int64 // after the day's prune; before it
		statuses, accounts, free int
	}
	var samples []sample
	var lastCutoff time.Time
	for day := range simDays {
		dayStart := start.Add(time.Duration(day) * 24 * time.Hour)
		s.days, s.fetched = append(s.days, nil), append(s.fetched, nil)
		evs := s.resolve(day, s.dayEvents(dayStart))
		s.fetchAccounts(ctx)
		err := st.Update(ctx, func(tx *Tx) error {
			for _, e := range evs {
				if err := s.apply(tx, e); err != nil {
					return fmt.Errorf("%v at %v: %w", e.kind, e.at, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// The owner's app asks for the link previews of some of the day's
		// statuses (GET /api/v1/statuses/{id}/card), which are cached.
		for range s.poisson(60 * float64(followed) / simFollowed) {
			if p := s.pick(day, 0, 0, false); p != nil && p.link != "" {
				card := `{"url":"` + p.link + `","title":"` + s.words(60) + `","description":"` + s.words(200) +
					`","type":"link","provider_name":"News","image":"https://news.example/img/` + fmt.Sprint(p.id) + `.jpg"}`
				if err := st.PutLinkCard(ctx, p.link, card, dayStart.Add(20*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
		}

		// The daily housekeeping of serve (handlers.Server.Run).
		if err := st.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		unpruned := fileSize(t, st.path)
		pt := time.Now()
		lastCutoff = dayStart.Add(24*time.Hour - simPruneAfter)
		res, err := st.Prune(ctx, PruneOptions{Before: lastCutoff})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		s.forgetPruned(ctx)
		smp := sample{size: fileSize(t, st.path), unpruned: unpruned}
		for q, dst := range map[string]*int{
			`SELECT count(*) FROM statuses`: &smp.statuses, `SELECT count(*) FROM accounts`: &smp.accounts,
			`PRAGMA freelist_count`: &smp.free,
		} {
			if err := st.r.QueryRowContext(ctx, q).Scan(dst); err != nil {
				t.Fatal(err)
			}
		}
		samples = append(samples, smp)
		t.Logf("day %2d: %6.1f MB, %d statuses, %d accounts, %d free pages; pruned %d statuses, %d accounts in %v [%v]",
			day+1, mb(smp.size), smp.statuses, smp.accounts, smp.free, res.Statuses, res.Accounts,
			time.Since(pt).Round(time.Millisecond), time.Since(began).Round(time.Second))
	}
	t.Logf("%d statuses and boosts in %d days, %d account fetches; events %v", s.written, simDays, s.fetches, s.counts)

	month, last := samples[29], samples[simDays-1]
	var peak int64
	for _, smp := range samples {
		peak = max(peak, smp.size, smp.unpruned)
	}
	t.Logf("%d followed accounts: a month of traffic makes %.1f MB; after %d days %.1f MB; largest %.1f MB (bound %.1f MB)",
		followed, mb(month.unpruned), simDays, mb(last.size), mb(peak), mb(bound))
	if float64(last.size) > 1.10*float64(month.size) {
		t.Errorf("the file still grows: %.1f MB after %d days, %.1f MB after 30", mb(last.size), simDays, mb(month.size))
	}
	if peak > bound {
		t.Errorf("the file reached %.1f MB, over the %.0f MB documented for %d followed accounts", mb(peak), mb(bound), followed)
	}

	// Everything the owner interacted with is still there.
	var missing []string
	for k, why := range s.keep {
		if k.gone {
			continue
		}
		var n int
		if err := st.r.QueryRowContext(ctx, `SELECT count(*) FROM statuses WHERE id = ? AND uri = ?`, k.id, k.uri).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			missing = append(missing, fmt.Sprintf("%s (%s, %v old)", k.uri, why, began.Sub(k.at).Round(time.Hour)))
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d statuses the owner interacted with were pruned, first %v", len(missing), len(s.keep), missing[:min(5, len(missing))])
	}
	var notifications, followers int
	if err := st.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications`).Scan(&notifications); err != nil {
		t.Fatal(err)
	}
	if err := st.r.QueryRowContext(ctx, `SELECT count(*) FROM follows WHERE target_account_id = ?`, owner.ID).Scan(&followers); err != nil {
		t.Fatal(err)
	}
	if notifications != s.notifications || followers != s.followers {
		t.Errorf("%d notifications and %d followers left, want %d and %d", notifications, followers, s.notifications, s.followers)
	}
	var oldKept int
	if err := st.r.QueryRowContext(ctx, `SELECT count(*) FROM statuses WHERE local = 0 AND created_at < ?`,
		millis(lastCutoff)).Scan(&oldKept); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d statuses the owner interacted with checked; %d remote statuses older than the cutoff kept (threads, boosts)", len(s.keep), oldKept)
	var stale int
	if err := st.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM link_cards WHERE fetched_at < ?1)
		+ (SELECT count(*) FROM seen_activities WHERE seen_at < ?1)`, millis(lastCutoff)).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d link previews and seen activity ids older than the cutoff left", stale)
	}
	if err := st.Vacuum(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("after VACUUM: %.1f MB [%v]", mb(fileSize(t, st.path)), time.Since(began).Round(time.Second))
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// simWords is the vocabulary of the simulated posts.
var simWords = strings.Fields(`the of and to a in is it you that he was for on are with as I his they be at one have this
from or had by hot word but what some we can out other were all there when up use your how said an each she which do their
time if will way about many then them write would like so these her long make thing see him two has look more day could go
come did number sound no most people my over know water than call first who may down side been now find any new work part
take get place made live where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move right boy old too same
tell does set three want air well also play small end put home read hand port large spell add even land here must big high
such follow act why ask men change went light kind off need house picture try us again animal point mother world near
build self earth father head stand own page should country found answer school grow study still learn plant cover food
sun four between state keep eye never last let thought city tree cross farm hard start might story saw far sea draw left
late run while press close night real life few north open seem together next white children begin got walk example ease
paper group always music those both mark often letter until mile river car feet care second book carry took science eat
room friend began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual
young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure door product
black short numeral class wind question happen complete ship area half rock order fire south problem piece told knew pass
since top whole king space heard best hour better true during hundred five remember step early hold west ground interest
reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay against pattern slow
center love person money serve appear road map rain rule govern pull cold notice voice unit power town fine certain fly
fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty drive stood
contain front teach week final gave green oh quick develop ocean warm free minute strong special mind behind clear tail
produce fact street inch multiply nothing course stay wheel full force blue object decide surface deep moon island foot
system busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape equate
miss brought heat snow tire bring yes distant fill east paint language among fediverse mastodon rust golang sqlite`)
