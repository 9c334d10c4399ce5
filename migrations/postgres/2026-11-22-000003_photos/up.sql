CREATE TABLE photos (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    client_id TEXT UNIQUE,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    taken_at TIMESTAMP NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_by_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    exif_json TEXT NOT NULL,
    checks_json TEXT NOT NULL,
    near_home BOOLEAN,
    duplicate_of TEXT NOT NULL,
    phash BIGINT NOT NULL,
    phash_b0 INTEGER NOT NULL,
    phash_b1 INTEGER NOT NULL,
    phash_b2 INTEGER NOT NULL,
    phash_b3 INTEGER NOT NULL,
    status TEXT NOT NULL,
    reasons TEXT NOT NULL,
    review_json TEXT,
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX photos_household_year ON photos (household_id, year);
CREATE INDEX photos_sha256 ON photos (sha256);
CREATE INDEX photos_phash_b0 ON photos (phash_b0);
CREATE INDEX photos_phash_b1 ON photos (phash_b1);
CREATE INDEX photos_phash_b2 ON photos (phash_b2);
CREATE INDEX photos_phash_b3 ON photos (phash_b3);
CREATE INDEX photos_queue_village ON photos (village_code, status, id);
CREATE INDEX photos_queue_township ON photos (township_code, status, id);
CREATE INDEX photos_queue_county ON photos (county_code, status, id);
