-- Data cleaning: rule runs and the problem ledger 问题台账.
CREATE TABLE quality_runs (
    id TEXT PRIMARY KEY NOT NULL,
    division_code TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    households BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    opened BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE problems (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    severity TEXT NOT NULL,
    detail TEXT NOT NULL,
    status TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    deadline DATE NOT NULL,
    note TEXT,
    opened_run TEXT NOT NULL,
    last_run TEXT NOT NULL,
    resolved_run TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status_changed_at TIMESTAMP NOT NULL,
    status_changed_by TEXT
);
CREATE INDEX problems_household ON problems (household_id, rule_id, subject);
CREATE INDEX problems_village ON problems (village_code, status);
CREATE INDEX problems_township ON problems (township_code, status);
