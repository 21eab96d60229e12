-- 0002: federation. Queues for received and outgoing activities, and what
-- statuses carry (mentions, hashtags, media, custom emoji, polls, edits),
-- favourites, reactions, blocks, notifications and tombstones.

-- inbox_queue holds verified activities until the inbox worker applies
-- them; a row is deleted once applied (or given up on).
CREATE TABLE inbox_queue (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  TEXT NOT NULL,
    signer       TEXT NOT NULL,           -- actor id of the verified signing key
    body         BLOB NOT NULL,
    received_at  INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    last_error   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbox_queue_due ON inbox_queue (next_at);

-- seen_activities makes the inbox idempotent: an activity id is queued once.
CREATE TABLE seen_activities (
    id       TEXT PRIMARY KEY,
    seen_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- deliveries is one job per activity and target inbox.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    host         TEXT NOT NULL,
    body         BLOB NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_error   TEXT NOT NULL DEFAULT '',
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_at);

-- tombstones remember deleted ids: the owner's (served as 410 Gone) and
-- remote ones (so a late or replayed Create does not bring them back).
CREATE TABLE tombstones (
    uri         TEXT PRIMARY KEY,
    deleted_at  INTEGER NOT NULL
) WITHOUT ROWID;

ALTER TABLE statuses ADD COLUMN emojis TEXT NOT NULL DEFAULT '[]';   -- JSON [{shortcode,url}]
ALTER TABLE statuses ADD COLUMN quote_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE statuses ADD COLUMN activity_uri TEXT NOT NULL DEFAULT ''; -- the Announce id of a boost
CREATE INDEX statuses_activity_uri ON statuses (activity_uri) WHERE activity_uri != '';
ALTER TABLE accounts ADD COLUMN emojis TEXT NOT NULL DEFAULT '[]';
ALTER TABLE accounts ADD COLUMN featured_tags_url TEXT NOT NULL DEFAULT '';

CREATE TABLE status_edits (
    id            INTEGER PRIMARY KEY,
    status_id     INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    content       TEXT NOT NULL,
    spoiler_text  TEXT NOT NULL,
    sensitive     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL               -- when this version was written
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE mentions (
    status_id   INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (status_id, account_id)
) WITHOUT ROWID;
CREATE INDEX mentions_account ON mentions (account_id, status_id);

CREATE TABLE tags (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE status_tags (
    status_id  INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (status_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX status_tags_tag ON status_tags (tag_id, status_id);

CREATE TABLE media_attachments (
    id           INTEGER PRIMARY KEY,
    status_id    INTEGER REFERENCES statuses (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL DEFAULT 0,
    type         TEXT NOT NULL DEFAULT 'unknown',   -- image, gifv, video, audio, unknown
    media_type   TEXT NOT NULL DEFAULT '',
    remote_url   TEXT NOT NULL DEFAULT '',
    file_path    TEXT NOT NULL DEFAULT '',          -- local files, relative to the data directory
    preview_path TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    blurhash     TEXT NOT NULL DEFAULT '',
    focus_x      REAL NOT NULL DEFAULT 0,
    focus_y      REAL NOT NULL DEFAULT 0,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id, position);

CREATE TABLE polls (
    status_id     INTEGER PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    multiple      INTEGER NOT NULL DEFAULT 0,
    options       TEXT NOT NULL,                    -- JSON [{"title","votes_count"}]
    voters_count  INTEGER NOT NULL DEFAULT 0,
    expires_at    INTEGER,
    closed        INTEGER NOT NULL DEFAULT 0,
    notified      INTEGER NOT NULL DEFAULT 0,       -- poll-ended notification sent
    updated_at    INTEGER NOT NULL
);
CREATE INDEX polls_expiry ON polls (expires_at) WHERE closed = 0;

CREATE TABLE poll_votes (
    id          INTEGER PRIMARY KEY,
    status_id   INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice      INTEGER NOT NULL,
    uri         TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (status_id, account_id, choice)
);

CREATE TABLE favourites (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id   INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    uri         TEXT NOT NULL DEFAULT '',            -- the Like activity id
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status ON favourites (status_id);
CREATE INDEX favourites_uri ON favourites (uri) WHERE uri != '';

-- reactions are Misskey/Pleroma emoji reactions (EmojiReact).
CREATE TABLE reactions (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id   INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,                       -- unicode emoji or :shortcode:
    url         TEXT NOT NULL DEFAULT '',            -- custom emoji image
    uri         TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, status_id, name)
);

CREATE TABLE blocks (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri                TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    UNIQUE (account_id, target_account_id)
);

CREATE TABLE domain_blocks (
    domain      TEXT PRIMARY KEY COLLATE NOCASE,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- notifications for the owner. type is Mastodon's: follow, follow_request,
-- mention, reblog, favourite, poll, update, move, status.
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY,
    type             TEXT NOT NULL,
    from_account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id        INTEGER REFERENCES statuses (id) ON DELETE CASCADE,
    target_account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,  -- move: the new account
    created_at       INTEGER NOT NULL,
    read             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_type ON notifications (type, from_account_id, status_id);
