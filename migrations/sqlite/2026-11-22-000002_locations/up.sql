CREATE TABLE locations (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    client_id TEXT UNIQUE,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    orig_lat DOUBLE PRECISION NOT NULL,
    orig_lon DOUBLE PRECISION NOT NULL,
    orig_crs TEXT NOT NULL,
    accuracy_m DOUBLE PRECISION NOT NULL,
    altitude_m DOUBLE PRECISION,
    captured_at TIMESTAMP NOT NULL,
    source TEXT NOT NULL,
    mock_location BOOLEAN NOT NULL,
    flags TEXT NOT NULL,
    moved_m DOUBLE PRECISION,
    status TEXT NOT NULL,
    captured_by TEXT NOT NULL,
    captured_by_name TEXT NOT NULL,
    confirmed_by_name TEXT,
    confirmed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX locations_household ON locations (household_id, id);

ALTER TABLE households ADD COLUMN home_location_id TEXT;
ALTER TABLE households ADD COLUMN home_lat DOUBLE PRECISION;
ALTER TABLE households ADD COLUMN home_lon DOUBLE PRECISION;
ALTER TABLE households ADD COLUMN home_accuracy_m DOUBLE PRECISION;
ALTER TABLE households ADD COLUMN home_captured_at TIMESTAMP;
ALTER TABLE households ADD COLUMN pending_move_id TEXT;
ALTER TABLE households ADD COLUMN last_capture_low_accuracy BOOLEAN NOT NULL DEFAULT FALSE;
