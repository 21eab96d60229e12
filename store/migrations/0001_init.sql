-- 0001: the owner, accounts (the owner's and remote ones), statuses, follows
-- and instance settings. Times are Unix milliseconds; ids of accounts,
-- statuses and follows are time-sortable (see ids.go).

PRAGMA application_id = 1919905652; -- "root" in ASCII: marks a Roost data file

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY,
    uri               TEXT NOT NULL UNIQUE,           -- the actor id
    username          TEXT NOT NULL,
    domain            TEXT NOT NULL DEFAULT '',       -- '' for the owner
    display_name      TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',       -- HTML
    note_source       TEXT NOT NULL DEFAULT '',       -- Markdown, the owner's only
    url               TEXT NOT NULL DEFAULT '',       -- profile page
    avatar_url        TEXT NOT NULL DEFAULT '',
    header_url        TEXT NOT NULL DEFAULT '',
    inbox             TEXT NOT NULL DEFAULT '',
    outbox            TEXT NOT NULL DEFAULT '',
    shared_inbox      TEXT NOT NULL DEFAULT '',
    followers_url     TEXT NOT NULL DEFAULT '',
    following_url     TEXT NOT NULL DEFAULT '',
    featured_url      TEXT NOT NULL DEFAULT '',
    public_key_id     TEXT NOT NULL DEFAULT '',
    public_key_pem    TEXT NOT NULL DEFAULT '',
    actor_type        TEXT NOT NULL DEFAULT 'Person',
    locked            INTEGER NOT NULL DEFAULT 0,
    bot               INTEGER NOT NULL DEFAULT 0,
    discoverable      INTEGER NOT NULL DEFAULT 1,
    indexable         INTEGER NOT NULL DEFAULT 1,
    fields            TEXT NOT NULL DEFAULT '[]',     -- JSON [{"name","value","verified_at"}]
    also_known_as     TEXT NOT NULL DEFAULT '[]',     -- JSON array of actor ids
    moved_to_uri      TEXT NOT NULL DEFAULT '',
    followers_count   INTEGER NOT NULL DEFAULT 0,     -- as the remote server reports them
    following_count   INTEGER NOT NULL DEFAULT 0,
    statuses_count    INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    fetched_at        INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX accounts_handle ON accounts (lower(username), lower(domain));

-- owner holds what only the one local account has: its password and key.
CREATE TABLE owner (
    account_id       INTEGER PRIMARY KEY REFERENCES accounts (id),
    password_hash    TEXT NOT NULL,
    private_key_pem  TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE statuses (
    id                      INTEGER PRIMARY KEY,
    uri                     TEXT NOT NULL UNIQUE,
    url                     TEXT NOT NULL DEFAULT '',
    account_id              INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    local                   INTEGER NOT NULL DEFAULT 0,
    visibility              TEXT NOT NULL DEFAULT 'public', -- public, unlisted, private, direct
    in_reply_to_id          INTEGER REFERENCES statuses (id) ON DELETE SET NULL,
    in_reply_to_uri         TEXT NOT NULL DEFAULT '',
    in_reply_to_account_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    reblog_of_id            INTEGER REFERENCES statuses (id) ON DELETE CASCADE,
    content                 TEXT NOT NULL DEFAULT '',     -- HTML
    source                  TEXT NOT NULL DEFAULT '',     -- Markdown, local statuses only
    spoiler_text            TEXT NOT NULL DEFAULT '',
    sensitive               INTEGER NOT NULL DEFAULT 0,
    language                TEXT NOT NULL DEFAULT '',
    conversation            TEXT NOT NULL DEFAULT '',
    replies_count           INTEGER NOT NULL DEFAULT 0,
    reblogs_count           INTEGER NOT NULL DEFAULT 0,
    favourites_count        INTEGER NOT NULL DEFAULT 0,
    pinned_at               INTEGER,
    created_at              INTEGER NOT NULL,
    edited_at               INTEGER
);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_in_reply_to ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_pinned ON statuses (account_id, pinned_at) WHERE pinned_at IS NOT NULL;

-- follows: account_id follows target_account_id; pending while a request
-- waits for approval.
CREATE TABLE follows (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri                TEXT NOT NULL DEFAULT '',          -- the Follow activity id
    pending            INTEGER NOT NULL DEFAULT 0,
    show_reblogs       INTEGER NOT NULL DEFAULT 1,
    notify             INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX follows_target ON follows (target_account_id, pending, id);
