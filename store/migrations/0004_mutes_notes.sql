-- 0004: the owner's mutes and private notes on accounts, and muted
-- conversations.

CREATE TABLE mutes (
    target_account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    notifications      INTEGER NOT NULL DEFAULT 1,   -- also hide their notifications
    expires_at         INTEGER,
    created_at         INTEGER NOT NULL
);

CREATE TABLE account_notes (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    note        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE conversation_mutes (
    conversation  TEXT PRIMARY KEY,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;
