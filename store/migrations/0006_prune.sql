-- 0006: indexes for pruning. Removing a status or an account runs its
-- ON DELETE actions, which look up the child rows by these columns; without
-- an index each removed row would scan the whole child table.

CREATE INDEX statuses_in_reply_to_account ON statuses (in_reply_to_account_id) WHERE in_reply_to_account_id IS NOT NULL;
CREATE INDEX media_attachments_account ON media_attachments (account_id);
CREATE INDEX notifications_from ON notifications (from_account_id);
CREATE INDEX notifications_target ON notifications (target_account_id) WHERE target_account_id IS NOT NULL;
CREATE INDEX reactions_status ON reactions (status_id);
CREATE INDEX poll_votes_account ON poll_votes (account_id);
CREATE INDEX blocks_target ON blocks (target_account_id);
CREATE INDEX filter_statuses_status ON filter_statuses (status_id);
