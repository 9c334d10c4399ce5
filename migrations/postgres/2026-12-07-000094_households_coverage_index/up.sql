-- County coverage (repo::coverage::by_child: a county's households counted per township) reads
-- this index alone, never the table: a database of a whole province holds other counties'
-- households in the same pages, and a scan of the table would read them all.
CREATE INDEX households_county_coverage ON households (county_code, township_code)
  INCLUDE (category, home_location_id, home_captured_at, last_capture_low_accuracy, pending_move_id);
