-- The household file 一户一档: scans and photos of the household's paperwork, kept in the object
-- store under documents/<household>/<id>; one row per distinct file of a household.
CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_by_name TEXT NOT NULL,
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (household_id, sha256)
);
CREATE INDEX documents_household_year ON documents (household_id, year);
CREATE INDEX documents_village_year ON documents (village_code, year);
