package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"roost/markup"
	"roost/store"
)

// The instance endpoints and the public reads of accounts and statuses.
// Apps call these first, most without a token (Tusky, Ice Cubes and the
// official apps before login; see CLIENTS.md 4a).

// apiVersionString is what "version" says: Mastodon's version first, since
// apps parse its leading number to gate features (Ice Cubes
// Float(version.prefix(3)), Mastodon iOS the major), then honestly Roost.
func (s *Server) apiVersionString() string {
	return fmt.Sprintf("%s (compatible; Roost %s)", mastodonVersion, s.cfg.Version)
}

// streamingURL is where apps open the streaming API: this host, over
// WebSocket.
func (s *Server) streamingURL() string {
	if rest, ok := strings.CutPrefix(s.cfg.BaseURL, "http://"); ok {
		return "ws://" + rest
	}
	return "wss://" + strings.TrimPrefix(s.cfg.BaseURL, "https://")
}

// instanceLanguages are the languages the instance is in.
var instanceLanguages = []string{"en"}

func statusesConfig() StatusesConfig {
	return StatusesConfig{MaxCharacters: limitStatusChars, MaxMediaAttachments: limitMediaAttachments,
		CharactersReservedPerURL: limitCharsPerURL}
}

func mediaConfig() MediaConfig {
	// Video and audio uploads are not taken: their limits are 0.
	return MediaConfig{SupportedMIMETypes: slices.Clone(supportedMIMETypes), ImageSizeLimit: limitImageSize,
		ImageMatrixLimit: limitImageMatrix}
}

func pollsConfig() PollsConfig {
	return PollsConfig{MaxOptions: limitPollOptions, MaxCharactersPerOption: limitPollOptionChars,
		MinExpiration: limitPollMinExpiration, MaxExpiration: limitPollMaxExpiration}
}

// getInstanceV2 serves /api/v2/instance, which most apps read first. Ice
// Cubes silently turns off every version-gated feature if it fails to
// decode, so every field it needs is always there.
func (s *Server) getInstanceV2(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	acct, err := s.accountJSON(ctx, owner)
	if err != nil {
		return err
	}
	v := Instance{
		Domain:      s.urls.Host(),
		Title:       displayName(owner),
		Version:     s.apiVersionString(),
		Description: markup.PlainText(s.md.Sanitize(owner.Note)),
		Thumbnail:   InstanceThumbnail{URL: s.headerURL(owner)},
		Icon:        []InstanceIcon{},
		Languages:   slices.Clone(instanceLanguages),
		Configuration: InstanceConfiguration{
			URLs:             InstanceURLs{Streaming: s.streamingURL()},
			Vapid:            InstanceVapid{PublicKey: s.vapidPublic},
			Accounts:         AccountsConfig{MaxFeaturedTags: limitFeaturedTags, MaxPinnedStatuses: limitPinnedStatuses},
			Statuses:         statusesConfig(),
			MediaAttachments: mediaConfig(),
			Polls:            pollsConfig(),
		},
		APIVersions: APIVersions{Mastodon: mastodonAPIVersion},
		Contact:     InstanceContact{Account: acct},
		Rules:       []Rule{},
	}
	v.Usage.Users.ActiveMonth = 1
	writeJSON(w, http.StatusOK, v)
	return nil
}

// getInstanceV1 serves /api/v1/instance, for Mastodon iOS and as Tusky's
// and Elk's fallback.
func (s *Server) getInstanceV1(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	acct, err := s.accountJSON(ctx, owner)
	if err != nil {
		return err
	}
	posts, err := s.st.CountLocalStatuses(ctx, store.Public, store.Unlisted)
	if err != nil {
		return err
	}
	domains, err := s.knownDomains(ctx)
	if err != nil {
		return err
	}
	note := s.md.Sanitize(owner.Note)
	thumb := s.headerURL(owner)
	v := InstanceV1{
		URI:              s.urls.Host(),
		Title:            displayName(owner),
		ShortDescription: markup.PlainText(note),
		Description:      note,
		Version:          s.apiVersionString(),
		URLs:             InstanceV1URLs{StreamingAPI: s.streamingURL()},
		Stats:            InstanceV1Stats{UserCount: 1, StatusCount: posts, DomainCount: len(domains)},
		Thumbnail:        &thumb,
		Languages:        slices.Clone(instanceLanguages),
		MaxTootChars:     limitStatusChars,
		Configuration: InstanceV1Configuration{
			Accounts:         V1AccountsConfig{MaxFeaturedTags: limitFeaturedTags},
			Statuses:         statusesConfig(),
			MediaAttachments: mediaConfig(),
			Polls:            pollsConfig(),
		},
		ContactAccount: acct,
		Rules:          []Rule{},
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// getInstanceRules serves /api/v1/instance/rules: a one-person instance
// has none.
func (s *Server) getInstanceRules(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, []Rule{})
	return nil
}

// getInstancePeers serves /api/v1/instance/peers, which Ice Cubes loads at
// start.
func (s *Server) getInstancePeers(w http.ResponseWriter, r *http.Request) error {
	domains, err := s.knownDomains(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, domains)
	return nil
}

// knownDomains lists, sorted, the domains of every account Roost knows,
// as Mastodon's peers do.
func (s *Server) knownDomains(ctx context.Context) ([]string, error) {
	return s.st.KnownDomains(ctx)
}

// activityWeeks is how many weeks /api/v1/instance/activity covers.
const activityWeeks = 12

// getInstanceActivity serves /api/v1/instance/activity: the owner's
// public and unlisted statuses per week (weeks start on Monday, UTC, as in
// Mastodon), newest week first. Followers-only and direct posts are left
// out: the endpoint is public.
//
// logins counts weeks with a post, not sign-ins: the store keeps no
// sign-in history, and a week with a post had the owner there.
func (s *Server) getInstanceActivity(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	start := midnight(now).AddDate(0, 0, -((int(now.Weekday()) + 6) % 7)) // this Monday
	oldest := start.AddDate(0, 0, -7*(activityWeeks-1))
	counts := make([]int, activityWeeks)
	p := store.Page{SinceID: store.MinIDAt(oldest) - 1, Limit: store.MaxLimit}
	for {
		list, err := s.st.ListAccountStatuses(ctx, owner.ID, store.AccountStatusesFilter{ExcludeReblogs: true}, p)
		if err != nil {
			return err
		}
		for _, st := range list {
			// Days before this Monday; this week's posts are 0 to -6.
			days := int(start.Sub(midnight(st.CreatedAt)) / (24 * time.Hour))
			if i := (days + 6) / 7; i >= 0 && i < activityWeeks {
				counts[i]++
			}
		}
		if len(list) < p.Limit {
			break
		}
		p.MaxID = list[len(list)-1].ID
	}
	out := make([]InstanceActivity, activityWeeks)
	for i := range out {
		logins := "0"
		if counts[i] > 0 {
			logins = "1"
		}
		out[i] = InstanceActivity{
			Week:          strconv.FormatInt(start.AddDate(0, 0, -7*i).Unix(), 10),
			Statuses:      strconv.Itoa(counts[i]),
			Logins:        logins,
			Registrations: "0",
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getExtendedDescription serves /api/v1/instance/extended_description:
// the owner's bio.
func (s *Server) getExtendedDescription(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ExtendedDescription{UpdatedAt: mastoTime(owner.UpdatedAt), Content: s.md.Sanitize(owner.Note)})
	return nil
}

// getEmptyList answers endpoints Roost has nothing for (custom emojis,
// announcements, trends, suggestions) with [], not 404: Ivory crashed on
// 404s (GoToSocial #1339), and Tusky loads announcements at start.
func (s *Server) getEmptyList(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, []struct{}{})
	return nil
}

// readerIsOwner reports whether the request carries the owner's token
// (authFrom, set by optionalAuth) granting scope; a token without it is
// refused, as Mastodon's authorize_if_got_token! does.
func readerIsOwner(r *http.Request, scope string) (bool, error) {
	a := authFrom(r.Context())
	if a == nil {
		return false, nil
	}
	if !anyScopeAllowed(a.Scopes, scope) {
		return false, errOutOfScope
	}
	return a.Owner, nil
}

// lookupAccount serves /api/v1/accounts/lookup?acct=: the owner (by
// "name" or "name@host") or a remote account Roost knows. It does not go
// looking on other servers.
func (s *Server) lookupAccount(w http.ResponseWriter, r *http.Request) error {
	if _, err := readerIsOwner(r, "read:accounts"); err != nil {
		return err
	}
	acct := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(r.URL.Query().Get("acct")), "acct:"), "@")
	username, domain, _ := strings.Cut(acct, "@")
	if username == "" {
		return errNotFound
	}
	if strings.EqualFold(domain, s.urls.Host()) {
		domain = ""
	}
	a, err := s.st.GetAccountByHandle(r.Context(), username, domain)
	if err != nil {
		return err
	}
	return s.writeAccount(w, r, a)
}

// getAccount serves /api/v1/accounts/{id}.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	if _, err := readerIsOwner(r, "read:accounts"); err != nil {
		return err
	}
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return errNotFound
	}
	a, err := s.st.GetAccount(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeAccount(w, r, a)
}

func (s *Server) writeAccount(w http.ResponseWriter, r *http.Request, a *store.Account) error {
	v, err := s.accountJSON(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// getStatus serves /api/v1/statuses/{id}: any status to the owner, public
// and unlisted ones to everyone else (404 for the rest, so that nothing
// tells a private status exists).
func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) error {
	isOwner, err := readerIsOwner(r, "read:statuses")
	if err != nil {
		return err
	}
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return errNotFound
	}
	ctx := r.Context()
	st, err := s.st.GetStatus(ctx, id)
	if err != nil {
		return err
	}
	var v *Status
	if isOwner {
		v, err = s.statusJSON(ctx, st)
	} else {
		if !publiclyVisible(st) {
			return errNotFound
		}
		v, err = s.publicStatusJSON(ctx, st)
		if err == nil && v.Reblog != nil && !publicVisibility(v.Reblog.Visibility) {
			return errNotFound
		}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func publiclyVisible(st *store.Status) bool { return publicVisibility(st.Visibility) }

func publicVisibility(v string) bool { return v == store.Public || v == store.Unlisted }

// getPreferences serves /api/v1/preferences: the posting defaults the
// owner set with update_credentials.
func (s *Server) getPreferences(w http.ResponseWriter, r *http.Request) error {
	d, err := s.st.GetPostingDefaults(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Preferences{
		PostingVisibility: d.Privacy,
		PostingSensitive:  d.Sensitive,
		PostingLanguage:   nullIfEmpty(d.Language),
		ReadingMedia:      "default",
	})
	return nil
}
