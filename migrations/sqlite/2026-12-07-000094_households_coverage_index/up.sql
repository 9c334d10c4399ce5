-- County coverage (repo::coverage::by_child) reads this index alone (SQLite has no INCLUDE: the
-- counted columns follow the key), as on PostgreSQL.
CREATE INDEX households_county_coverage ON households (county_code, township_code, category, home_location_id, home_captured_at, last_capture_low_accuracy, pending_move_id);
