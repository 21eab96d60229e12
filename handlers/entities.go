package handlers

import (
	"encoding/json"
	"time"
)

// The Mastodon JSON entities Roost sends, as documented at
// https://docs.joinmastodon.org/entities/. A pointer field is one Mastodon
// sends as null; slices are never nil, since apps (Tusky, the official
// Android app) reject a null where the documentation promises an array.
// testdata/mastodon-api/entities.json drives the shape tests.

// mastodonVersion is the Mastodon version Roost's API is compatible with;
// apps gate features on it (Ice Cubes: grouped notifications from 4.3,
// Mastodon iOS: v2 instance from 4).
const mastodonVersion = "4.3.0"

// mastodonAPIVersion is what /api/v2/instance advertises as
// api_versions.mastodon. It is a contract (see CLIENTS.md 4b): 2 promises
// grouped notifications and notifications/unread_count; 3 makes the
// official Android app send PKCE (S256, which oauth.go checks); 4 promises
// RFC 8291 (aes128gcm) Web Push, which push.go sends. Raise it only when
// what it promises exists.
const mastodonAPIVersion = 4

// Limits the instance advertises and the API enforces.
const (
	limitStatusChars        = 5000
	limitMediaAttachments   = 4
	limitCharsPerURL        = 23 // every link counts as 23 characters
	limitPollOptions        = 4
	limitPollOptionChars    = 50
	limitPollMinExpiration  = 300     // seconds
	limitPollMaxExpiration  = 2629746 // seconds: a month
	limitFeaturedTags       = 10
	limitPinnedStatuses     = 5
	limitImageSize          = 16 << 20 // bytes
	limitImageMatrix        = 33177600 // pixels: 7680×4320
	mediaSmallPixels        = 230400   // preview size: 640×360 pixels
	mastoTimeLayout         = "2006-01-02T15:04:05.000Z"
	mastoDateLayout         = "2006-01-02"
	defaultStatusVisibility = "public"
)

// supportedMIMETypes are the uploads Roost takes.
var supportedMIMETypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// mastoTime formats t as Mastodon does, in UTC with milliseconds. Ice Cubes
// and Toot! parse nothing else (CLIENTS.md 4c).
func mastoTime(t time.Time) string { return t.UTC().Format(mastoTimeLayout) }

// mastoTimePtr is mastoTime for a time that may be absent (null).
func mastoTimePtr(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	v := mastoTime(*t)
	return &v
}

// nullIfEmpty is s, or null when s is empty.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Account is a Mastodon Account.
type Account struct {
	ID              string        `json:"id"`
	Username        string        `json:"username"`
	Acct            string        `json:"acct"`
	URL             string        `json:"url"`
	URI             string        `json:"uri"`
	DisplayName     string        `json:"display_name"`
	Note            string        `json:"note"`
	Avatar          string        `json:"avatar"`
	AvatarStatic    string        `json:"avatar_static"`
	Header          string        `json:"header"`
	HeaderStatic    string        `json:"header_static"`
	Locked          bool          `json:"locked"`
	Fields          []Field       `json:"fields"`
	Emojis          []CustomEmoji `json:"emojis"`
	Bot             bool          `json:"bot"`
	Group           bool          `json:"group"`
	Discoverable    bool          `json:"discoverable"`
	Indexable       bool          `json:"indexable"`
	Noindex         bool          `json:"noindex"`
	Moved           *Account      `json:"moved,omitempty"`
	Memorial        bool          `json:"memorial"`
	Suspended       bool          `json:"suspended"`
	Limited         bool          `json:"limited"`
	HideCollections bool          `json:"hide_collections"`
	CreatedAt       string        `json:"created_at"`
	LastStatusAt    *string       `json:"last_status_at"` // a date, "2026-11-22"
	StatusesCount   int           `json:"statuses_count"`
	FollowersCount  int           `json:"followers_count"`
	FollowingCount  int           `json:"following_count"`
	Roles           []AccountRole `json:"roles"`
}

// Field is a profile field; Value is HTML.
type Field struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

// AccountRole is a role shown on a profile; Roost shows none.
type AccountRole struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

// CredentialAccount is the owner's Account as verify_credentials and
// update_credentials return it: with the source of the profile. The
// official Android app ignores an answer without source.
type CredentialAccount struct {
	Account
	Source AccountSource `json:"source"`
	Role   Role          `json:"role"`
}

// AccountSource is what the owner wrote: the Markdown of the bio, the
// plain text of the fields, and posting defaults.
type AccountSource struct {
	Privacy             string   `json:"privacy"`
	Sensitive           bool     `json:"sensitive"`
	Language            string   `json:"language"`
	Note                string   `json:"note"`
	Fields              []Field  `json:"fields"`
	FollowRequestsCount int      `json:"follow_requests_count"`
	HideCollections     bool     `json:"hide_collections"`
	Discoverable        bool     `json:"discoverable"`
	Indexable           bool     `json:"indexable"`
	AttributionDomains  []string `json:"attribution_domains"`
}

// Role is the owner's role on the instance (CredentialAccount.role).
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Permissions string `json:"permissions"`
	Highlighted bool   `json:"highlighted"`
}

// CustomEmoji is a custom emoji used in a status or profile.
type CustomEmoji struct {
	Shortcode       string  `json:"shortcode"`
	URL             string  `json:"url"`
	StaticURL       string  `json:"static_url"`
	VisibleInPicker bool    `json:"visible_in_picker"`
	Category        *string `json:"category"`
}

// Status is a Mastodon Status. Favourited, Reblogged, Muted, Bookmarked and
// Pinned are the owner's view and absent for anonymous readers; Pinned only
// on the owner's own statuses.
type Status struct {
	ID                 string             `json:"id"`
	URI                string             `json:"uri"`
	URL                *string            `json:"url"`
	CreatedAt          string             `json:"created_at"`
	EditedAt           *string            `json:"edited_at"`
	Account            *Account           `json:"account"`
	InReplyToID        *string            `json:"in_reply_to_id"`
	InReplyToAccountID *string            `json:"in_reply_to_account_id"`
	Reblog             *Status            `json:"reblog"`
	Content            string             `json:"content"`
	Text               *string            `json:"text"`
	Visibility         string             `json:"visibility"`
	Sensitive          bool               `json:"sensitive"`
	SpoilerText        string             `json:"spoiler_text"`
	Language           *string            `json:"language"`
	MediaAttachments   []MediaAttachment  `json:"media_attachments"`
	Application        *StatusApplication `json:"application,omitempty"`
	Mentions           []Mention          `json:"mentions"`
	Tags               []StatusTag        `json:"tags"`
	Emojis             []CustomEmoji      `json:"emojis"`
	RepliesCount       int                `json:"replies_count"`
	ReblogsCount       int                `json:"reblogs_count"`
	FavouritesCount    int                `json:"favourites_count"`
	QuotesCount        int                `json:"quotes_count"`
	Poll               *Poll              `json:"poll"`
	Card               *json.RawMessage   `json:"card"` // always null: no link previews yet
	Favourited         *bool              `json:"favourited,omitempty"`
	Reblogged          *bool              `json:"reblogged,omitempty"`
	Muted              *bool              `json:"muted,omitempty"`
	Bookmarked         *bool              `json:"bookmarked,omitempty"`
	Pinned             *bool              `json:"pinned,omitempty"`
	// Filtered holds the owner's filters the status matches (filtering.go).
	Filtered []FilterResult `json:"filtered"`
}

// StatusApplication is the app a local status was posted with.
type StatusApplication struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

// Mention is an account mentioned in a status.
type Mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

// StatusTag is a hashtag used in a status.
type StatusTag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// MediaAttachment is a file attached to a status.
type MediaAttachment struct {
	ID          string     `json:"id"`
	Type        string     `json:"type"`
	URL         *string    `json:"url"`
	PreviewURL  *string    `json:"preview_url"`
	RemoteURL   *string    `json:"remote_url"`
	Meta        *MediaMeta `json:"meta"`
	Description *string    `json:"description"`
	Blurhash    *string    `json:"blurhash"`
}

// MediaMeta is what is known of a file's dimensions and focal point.
type MediaMeta struct {
	Original *MediaSize  `json:"original,omitempty"`
	Small    *MediaSize  `json:"small,omitempty"`
	Focus    *MediaFocus `json:"focus,omitempty"`
}

// MediaSize is the size of one version of a file.
type MediaSize struct {
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Size   string  `json:"size"` // "640x480"
	Aspect float64 `json:"aspect"`
}

// MediaFocus is the focal point, each axis from -1 to 1.
type MediaFocus struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Poll is the poll of a status; its id is the status's.
type Poll struct {
	ID          string        `json:"id"`
	ExpiresAt   *string       `json:"expires_at"`
	Expired     bool          `json:"expired"`
	Multiple    bool          `json:"multiple"`
	VotesCount  int           `json:"votes_count"`
	VotersCount *int          `json:"voters_count"`
	Options     []PollOption  `json:"options"`
	Emojis      []CustomEmoji `json:"emojis"`
	Voted       bool          `json:"voted"`
	OwnVotes    []int         `json:"own_votes"`
}

// PollOption is one choice of a poll.
type PollOption struct {
	Title      string `json:"title"`
	VotesCount *int   `json:"votes_count"`
}

// Notification is something that happened to the owner. GroupKey is
// "ungrouped-<id>", as Mastodon sends for notifications it does not group.
type Notification struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	GroupKey  string   `json:"group_key"`
	CreatedAt string   `json:"created_at"`
	Account   *Account `json:"account"`
	Status    *Status  `json:"status,omitempty"`
}

// Relationship is how the owner and another account relate.
type Relationship struct {
	ID                  string    `json:"id"`
	Following           bool      `json:"following"`
	ShowingReblogs      bool      `json:"showing_reblogs"`
	Notifying           bool      `json:"notifying"`
	Languages           *[]string `json:"languages"`
	FollowedBy          bool      `json:"followed_by"`
	Blocking            bool      `json:"blocking"`
	BlockedBy           bool      `json:"blocked_by"`
	Muting              bool      `json:"muting"`
	MutingNotifications bool      `json:"muting_notifications"`
	Requested           bool      `json:"requested"`
	RequestedBy         bool      `json:"requested_by"`
	DomainBlocking      bool      `json:"domain_blocking"`
	Endorsed            bool      `json:"endorsed"`
	Note                string    `json:"note"`
}

// Instance is the v2 instance document (GET /api/v2/instance).
type Instance struct {
	Domain        string                `json:"domain"`
	Title         string                `json:"title"`
	Version       string                `json:"version"`
	SourceURL     string                `json:"source_url"`
	Description   string                `json:"description"`
	Usage         InstanceUsage         `json:"usage"`
	Thumbnail     InstanceThumbnail     `json:"thumbnail"`
	Icon          []InstanceIcon        `json:"icon"`
	Languages     []string              `json:"languages"`
	Configuration InstanceConfiguration `json:"configuration"`
	Registrations InstanceRegistrations `json:"registrations"`
	APIVersions   APIVersions           `json:"api_versions"`
	Contact       InstanceContact       `json:"contact"`
	Rules         []Rule                `json:"rules"`
}

// InstanceUsage counts the instance's users.
type InstanceUsage struct {
	Users struct {
		ActiveMonth int `json:"active_month"`
	} `json:"users"`
}

// InstanceThumbnail is the instance's banner image.
type InstanceThumbnail struct {
	URL string `json:"url"`
}

// InstanceIcon is one size of the instance's icon.
type InstanceIcon struct {
	Src  string `json:"src"`
	Size string `json:"size"` // "36x36"
}

// InstanceConfiguration is what clients need to know to post.
type InstanceConfiguration struct {
	URLs             InstanceURLs      `json:"urls"`
	Vapid            InstanceVapid     `json:"vapid"`
	Accounts         AccountsConfig    `json:"accounts"`
	Statuses         StatusesConfig    `json:"statuses"`
	MediaAttachments MediaConfig       `json:"media_attachments"`
	Polls            PollsConfig       `json:"polls"`
	Translation      TranslationConfig `json:"translation"`
}

// InstanceURLs says where to connect for streaming.
type InstanceURLs struct {
	Streaming string  `json:"streaming"`
	Status    *string `json:"status"`
}

// InstanceVapid is the Web Push server key.
type InstanceVapid struct {
	PublicKey string `json:"public_key"`
}

// AccountsConfig bounds profiles.
type AccountsConfig struct {
	MaxFeaturedTags   int `json:"max_featured_tags"`
	MaxPinnedStatuses int `json:"max_pinned_statuses"`
}

// StatusesConfig bounds statuses.
type StatusesConfig struct {
	MaxCharacters            int `json:"max_characters"`
	MaxMediaAttachments      int `json:"max_media_attachments"`
	CharactersReservedPerURL int `json:"characters_reserved_per_url"`
}

// MediaConfig bounds uploads.
type MediaConfig struct {
	SupportedMIMETypes  []string `json:"supported_mime_types"`
	ImageSizeLimit      int      `json:"image_size_limit"`
	ImageMatrixLimit    int      `json:"image_matrix_limit"`
	VideoSizeLimit      int      `json:"video_size_limit"`
	VideoFrameRateLimit int      `json:"video_frame_rate_limit"`
	VideoMatrixLimit    int      `json:"video_matrix_limit"`
}

// PollsConfig bounds polls.
type PollsConfig struct {
	MaxOptions             int `json:"max_options"`
	MaxCharactersPerOption int `json:"max_characters_per_option"`
	MinExpiration          int `json:"min_expiration"`
	MaxExpiration          int `json:"max_expiration"`
}

// TranslationConfig says whether statuses can be translated.
type TranslationConfig struct {
	Enabled bool `json:"enabled"`
}

// InstanceRegistrations says whether people can sign up: never on Roost.
type InstanceRegistrations struct {
	Enabled          bool    `json:"enabled"`
	ApprovalRequired bool    `json:"approval_required"`
	Message          *string `json:"message"`
	URL              *string `json:"url"`
}

// APIVersions are the API contracts Roost keeps (see mastodonAPIVersion).
type APIVersions struct {
	Mastodon int `json:"mastodon"`
}

// InstanceContact is who runs the instance.
type InstanceContact struct {
	Email   string   `json:"email"`
	Account *Account `json:"account"`
}

// Rule is an instance rule; Roost has none.
type Rule struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Hint string `json:"hint"`
}

// InstanceV1 is the v1 instance document (GET /api/v1/instance), which
// Mastodon iOS and Tusky's fallback read.
type InstanceV1 struct {
	URI              string                  `json:"uri"`
	Title            string                  `json:"title"`
	ShortDescription string                  `json:"short_description"`
	Description      string                  `json:"description"`
	Email            string                  `json:"email"`
	Version          string                  `json:"version"`
	URLs             InstanceV1URLs          `json:"urls"`
	Stats            InstanceV1Stats         `json:"stats"`
	Thumbnail        *string                 `json:"thumbnail"`
	Languages        []string                `json:"languages"`
	Registrations    bool                    `json:"registrations"`
	ApprovalRequired bool                    `json:"approval_required"`
	InvitesEnabled   bool                    `json:"invites_enabled"`
	MaxTootChars     int                     `json:"max_toot_chars"` // read by old Tusky versions
	Configuration    InstanceV1Configuration `json:"configuration"`
	ContactAccount   *Account                `json:"contact_account"`
	Rules            []Rule                  `json:"rules"`
}

// InstanceV1URLs says where to connect for streaming.
type InstanceV1URLs struct {
	StreamingAPI string `json:"streaming_api"`
}

// InstanceV1Stats counts users, statuses and known domains.
type InstanceV1Stats struct {
	UserCount   int `json:"user_count"`
	StatusCount int `json:"status_count"`
	DomainCount int `json:"domain_count"`
}

// InstanceV1Configuration is the v1 shape of the limits.
type InstanceV1Configuration struct {
	Accounts         V1AccountsConfig `json:"accounts"`
	Statuses         StatusesConfig   `json:"statuses"`
	MediaAttachments MediaConfig      `json:"media_attachments"`
	Polls            PollsConfig      `json:"polls"`
}

// V1AccountsConfig bounds profiles (v1 shape).
type V1AccountsConfig struct {
	MaxFeaturedTags int `json:"max_featured_tags"`
}

// ExtendedDescription is the instance's about text.
type ExtendedDescription struct {
	UpdatedAt string `json:"updated_at"`
	Content   string `json:"content"` // HTML
}

// InstanceActivity is one week of /api/v1/instance/activity; every count
// is a string, as Mastodon sends them.
type InstanceActivity struct {
	Week          string `json:"week"` // Unix time of the week's start
	Statuses      string `json:"statuses"`
	Logins        string `json:"logins"`
	Registrations string `json:"registrations"`
}

// Preferences are the owner's posting and reading defaults.
type Preferences struct {
	PostingVisibility string  `json:"posting:default:visibility"`
	PostingSensitive  bool    `json:"posting:default:sensitive"`
	PostingLanguage   *string `json:"posting:default:language"`
	ReadingMedia      string  `json:"reading:expand:media"` // default, show_all, hide_all
	ReadingSpoilers   bool    `json:"reading:expand:spoilers"`
}
