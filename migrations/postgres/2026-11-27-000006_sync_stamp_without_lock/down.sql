-- Back to a counter: it continues above every number given from transaction ids.
UPDATE sync_counter SET value = value + pg_current_xact_id()::text::bigint WHERE id = 1;
COMMENT ON TABLE sync_counter IS NULL;
