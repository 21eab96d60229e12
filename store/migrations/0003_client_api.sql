-- 0003: the Mastodon client API. OAuth applications, authorization codes
-- and access tokens (secrets stored only as SHA-256 hashes), bookmarks,
-- markers and Idempotency-Key replies.

CREATE TABLE oauth_apps (
    id                  INTEGER PRIMARY KEY,
    client_id           TEXT NOT NULL UNIQUE,
    client_secret_hash  TEXT NOT NULL,
    name                TEXT NOT NULL,
    website             TEXT NOT NULL DEFAULT '',
    redirect_uris       TEXT NOT NULL,              -- newline separated
    scopes              TEXT NOT NULL,              -- space separated
    created_at          INTEGER NOT NULL
);

CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    app_id          INTEGER NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    scopes          TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL DEFAULT '',
    challenge_method TEXT NOT NULL DEFAULT '',
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE oauth_tokens (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    app_id        INTEGER NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    scopes        TEXT NOT NULL,
    owner         INTEGER NOT NULL DEFAULT 1,       -- 0: client_credentials (app only)
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE bookmarks (
    status_id   INTEGER PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL UNIQUE,              -- time-sortable, for paging
    created_at  INTEGER NOT NULL
);

CREATE TABLE markers (
    timeline    TEXT PRIMARY KEY,                     -- home, notifications
    last_read_id INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    status_id   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX notifications_status ON notifications (status_id) WHERE status_id IS NOT NULL;
CREATE INDEX accounts_key_id ON accounts (public_key_id) WHERE public_key_id != '';
