-- Pre- and post-merger villages, natural villages, and the change sequence for phone sync.
ALTER TABLE households ADD COLUMN former_village_code TEXT;
ALTER TABLE households ADD COLUMN natural_village_id TEXT;
ALTER TABLE households ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX households_sync ON households (sync_seq, id);
CREATE INDEX households_township_sync ON households (township_code, sync_seq, id);
CREATE INDEX households_village_sync ON households (village_code, sync_seq, id);
ALTER TABLE divisions ADD COLUMN merged_into TEXT;

-- One row: the last change sequence handed out. Taking it is the last lock of a writing
-- transaction, so sequence order is commit order.
CREATE TABLE sync_counter (
    id INTEGER PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO sync_counter (id, value) VALUES (1, 0);

-- A household leaving a phone's scope: re-paired away from a cadre, moved to another village.
CREATE TABLE sync_tombstones (
    id TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    household_id TEXT NOT NULL,
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    cadre_user_id TEXT,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sync_tombstones_seq ON sync_tombstones (seq, id);
CREATE INDEX sync_tombstones_cadre ON sync_tombstones (cadre_user_id, seq, id);

CREATE TABLE cadres (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    work_unit TEXT NOT NULL,
    phone_enc TEXT,
    id_number_enc TEXT,
    id_number_hmac TEXT,
    user_id TEXT REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cadres_county ON cadres (county_code, name);
CREATE UNIQUE INDEX cadres_user ON cadres (user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX cadres_id_number ON cadres (id_number_hmac) WHERE id_number_hmac IS NOT NULL;

CREATE TABLE pairings (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    household_id TEXT NOT NULL REFERENCES households (id),
    cadre_id TEXT NOT NULL REFERENCES cadres (id),
    start_date DATE NOT NULL,
    end_date DATE,
    end_reason TEXT,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- At most one current pairing per household.
CREATE UNIQUE INDEX pairings_current ON pairings (household_id) WHERE end_date IS NULL;
CREATE INDEX pairings_household ON pairings (household_id, start_date);
CREATE INDEX pairings_cadre ON pairings (cadre_id, end_date);

CREATE TABLE work_teams (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    first_secretary_id TEXT REFERENCES cadres (id),
    member_ids TEXT NOT NULL,
    term_start DATE NOT NULL,
    term_end DATE,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX work_teams_village ON work_teams (village_code);

CREATE TABLE measures (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    household_id TEXT NOT NULL REFERENCES households (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    start_date DATE NOT NULL,
    end_date DATE,
    amount_cents BIGINT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX measures_household ON measures (household_id, start_date);

CREATE TABLE natural_villages (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    village_code TEXT NOT NULL,
    name TEXT NOT NULL,
    group_leader TEXT,
    population INTEGER,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (village_code, name)
);

CREATE TABLE village_years (
    id TEXT PRIMARY KEY NOT NULL,
    place_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    record_json TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (place_id, year)
);

-- Responses to POSTs sent with an Idempotency-Key, replayed on a retry (kept 24 hours).
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers_json TEXT,
    body BLOB,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
