ALTER TABLE households DROP COLUMN last_capture_low_accuracy;
ALTER TABLE households DROP COLUMN pending_move_id;
ALTER TABLE households DROP COLUMN home_captured_at;
ALTER TABLE households DROP COLUMN home_accuracy_m;
ALTER TABLE households DROP COLUMN home_lon;
ALTER TABLE households DROP COLUMN home_lat;
ALTER TABLE households DROP COLUMN home_location_id;
DROP TABLE locations;
