-- Migrant work 外出务工信息 of a member in a statistical year (scoped through the household).
CREATE TABLE migrant_work (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    year INTEGER NOT NULL,
    destination_code TEXT NOT NULL,
    employer TEXT,
    sector TEXT,
    months_away INTEGER NOT NULL,
    income_fen BIGINT NOT NULL,
    programme BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (member_id, year)
);
CREATE INDEX migrant_work_household ON migrant_work (household_id, year);
