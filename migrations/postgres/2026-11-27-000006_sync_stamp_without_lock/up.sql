-- The change sequence no longer takes the counter row (a lock every writing transaction shared
-- until commit): a transaction's number is its transaction id plus this offset, and the feed
-- reads below its snapshot's horizon (src/db/repo/sync.rs). The offset puts every new number
-- above the counter's last value, so cursors handed out before stay valid.
UPDATE sync_counter SET value = GREATEST(0, value - pg_current_xact_id()::text::bigint) WHERE id = 1;
COMMENT ON TABLE sync_counter IS 'PostgreSQL: the offset added to transaction ids to give change numbers (not a counter any more)';
