-- 0007: indexes over the owner's own statuses (local = 1), which every page
-- naming the owner's account reads: when the owner last posted, and how
-- many statuses they have. Without them both visit every status row, the
-- first one scanning the whole table. Being partial, they hold the
-- owner's rows only and cost nothing per remote status.

CREATE INDEX statuses_local ON statuses (created_at) WHERE local = 1;
-- reblog_of_id and local are constant in this index; they are columns so
-- that counting reads the index alone, without a table row per status.
CREATE INDEX statuses_local_posts ON statuses (visibility, reblog_of_id, local) WHERE local = 1 AND reblog_of_id IS NULL;
