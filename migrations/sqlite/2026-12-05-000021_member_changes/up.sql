-- Members' natural increase and decrease 自然增减 (issue 18): why and when a member joined
-- (出生, 嫁入, 迁入, 其他) and the day they left (the reason is removed_reason, 判刑收监 added to
-- its values); a member recorded without an ID number 无户籍人口 has a reason instead of one, so
-- the number's sealed text and keyed hash become nullable (SQLite rebuilds the table; nothing
-- references members). The uniqueness of current numbers is kept: NULLs never clash.
CREATE TABLE members_new (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    name TEXT NOT NULL,
    relation TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    id_number_enc TEXT,
    id_number_hmac TEXT,
    phone_enc TEXT,
    removed_at TIMESTAMP,
    removed_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    no_id_reason TEXT,
    join_reason TEXT,
    joined_on DATE,
    left_on DATE
);
-- Members removed before the leave date was asked for left on the day of their removal (Beijing time).
INSERT INTO members_new (id, household_id, name, relation, sex, birth_date, id_number_enc, id_number_hmac, phone_enc, removed_at, removed_reason, created_at, updated_at, left_on)
    SELECT id, household_id, name, relation, sex, birth_date, id_number_enc, id_number_hmac, phone_enc, removed_at, removed_reason, created_at, updated_at,
        CASE WHEN removed_at IS NULL THEN NULL ELSE date(removed_at, '+8 hours') END
    FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
CREATE INDEX members_household ON members (household_id);
-- One person, one current household: the same ID number in two households is a data error.
CREATE UNIQUE INDEX members_current_id_number ON members (id_number_hmac) WHERE removed_at IS NULL;
CREATE INDEX members_id_number ON members (id_number_hmac);
-- The natural-change ledger 自然增减台账 reads joins and leaves by date.
CREATE INDEX members_joined_on ON members (joined_on) WHERE joined_on IS NOT NULL;
CREATE INDEX members_left_on ON members (left_on) WHERE left_on IS NOT NULL;
