-- 0005: the rest of what apps use. Web Push subscriptions, lists, filters,
-- scheduled statuses, featured and followed hashtags, endorsements, reports,
-- link previews and read state of conversations.

CREATE TABLE push_subscriptions (
    token_id    INTEGER PRIMARY KEY REFERENCES oauth_tokens (id) ON DELETE CASCADE,
    endpoint    TEXT NOT NULL,
    p256dh      TEXT NOT NULL,             -- base64url, the client's public key
    auth        TEXT NOT NULL,             -- base64url, the client's auth secret
    standard    INTEGER NOT NULL DEFAULT 0, -- 1: RFC 8291 aes128gcm; 0: legacy aesgcm
    alerts      TEXT NOT NULL DEFAULT '{}', -- JSON {"mention": true, …}
    policy      TEXT NOT NULL DEFAULT 'all',
    created_at  INTEGER NOT NULL
);

CREATE TABLE push_queue (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id         INTEGER NOT NULL REFERENCES push_subscriptions (token_id) ON DELETE CASCADE,
    notification_id  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          INTEGER NOT NULL,
    UNIQUE (token_id, notification_id)
);
CREATE INDEX push_queue_due ON push_queue (next_at);

CREATE TABLE lists (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    replies_policy  TEXT NOT NULL DEFAULT 'list',   -- followed, list, none
    exclusive       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE TABLE list_accounts (
    list_id     INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, account_id)
) WITHOUT ROWID;
CREATE INDEX list_accounts_account ON list_accounts (account_id);

CREATE TABLE filters (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    context       TEXT NOT NULL,              -- space separated: home notifications public thread account
    action        TEXT NOT NULL DEFAULT 'warn', -- warn, hide, blur
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE TABLE filter_keywords (
    id          INTEGER PRIMARY KEY,
    filter_id   INTEGER NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword     TEXT NOT NULL,
    whole_word  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id);
CREATE TABLE filter_statuses (
    id          INTEGER PRIMARY KEY,
    filter_id   INTEGER NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id   INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    UNIQUE (filter_id, status_id)
);

CREATE TABLE scheduled_statuses (
    id            INTEGER PRIMARY KEY,
    scheduled_at  INTEGER NOT NULL,
    params        TEXT NOT NULL,               -- JSON of the status parameters
    created_at    INTEGER NOT NULL
);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);

CREATE TABLE featured_tags (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at   INTEGER NOT NULL
);

CREATE TABLE followed_tags (
    name        TEXT PRIMARY KEY COLLATE NOCASE,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE endorsements (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_ids  TEXT NOT NULL DEFAULT '[]',
    comment     TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT 'other',
    forwarded   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE link_cards (
    url         TEXT PRIMARY KEY,
    card        TEXT NOT NULL,                 -- JSON of the PreviewCard, '' when none
    fetched_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE conversation_reads (
    conversation  TEXT PRIMARY KEY,
    last_read_id  INTEGER NOT NULL DEFAULT 0,
    hidden        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
