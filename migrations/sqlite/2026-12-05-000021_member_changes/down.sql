-- Members without an ID number cannot be kept by the older schema.
DELETE FROM members WHERE id_number_enc IS NULL OR id_number_hmac IS NULL;
CREATE TABLE members_old (
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
INSERT INTO members_old SELECT id, household_id, name, relation, sex, birth_date, id_number_enc, id_number_hmac, phone_enc, removed_at, removed_reason, created_at, updated_at FROM members;
DROP TABLE members;
ALTER TABLE members_old RENAME TO members;
CREATE INDEX members_household ON members (household_id);
CREATE UNIQUE INDEX members_current_id_number ON members (id_number_hmac) WHERE removed_at IS NULL;
CREATE INDEX members_id_number ON members (id_number_hmac);
