CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    phone_enc TEXT,
    work_unit TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_jurisdiction ON users (jurisdiction);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE login_failures (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);

CREATE TABLE divisions (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT
);
CREATE INDEX divisions_parent ON divisions (parent_code);

CREATE TABLE households (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    number TEXT NOT NULL UNIQUE,
    village_code TEXT NOT NULL REFERENCES divisions (code),
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    address TEXT,
    category TEXT NOT NULL,
    head_name TEXT NOT NULL,
    has_location BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX households_village ON households (village_code, id);
CREATE INDEX households_township ON households (township_code, id);
CREATE INDEX households_county ON households (county_code, id);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    name TEXT NOT NULL,
    relation TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    id_number_enc TEXT NOT NULL,
    id_number_hmac TEXT NOT NULL,
    phone_enc TEXT,
    removed_at TIMESTAMP,
    removed_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX members_household ON members (household_id);
-- One person, one current household: the same ID number in two households is a data error.
CREATE UNIQUE INDEX members_current_id_number ON members (id_number_hmac) WHERE removed_at IS NULL;
CREATE INDEX members_id_number ON members (id_number_hmac);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    actor_name TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    household_id TEXT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_household ON audit_log (household_id, id);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);
