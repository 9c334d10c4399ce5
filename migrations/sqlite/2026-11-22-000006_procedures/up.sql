-- Statutory procedures (cases and their steps), exclusion conditions, spot checks.
ALTER TABLE households ADD COLUMN risk_status TEXT;
ALTER TABLE households ADD COLUMN risk_types TEXT;

CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    household_id TEXT NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    risk_types TEXT NOT NULL,
    target_category TEXT,
    stage TEXT NOT NULL,
    stage_since DATE NOT NULL,
    opened_on DATE NOT NULL,
    is_open BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- At most one open case per household.
CREATE UNIQUE INDEX cases_open ON cases (household_id) WHERE is_open;
CREATE INDEX cases_township ON cases (township_code, is_open, stage_since);
CREATE INDEX cases_village ON cases (village_code, is_open, stage_since);

CREATE TABLE case_steps (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    step TEXT NOT NULL,
    outcome TEXT NOT NULL,
    step_date DATE NOT NULL,
    signatories TEXT NOT NULL,
    departments TEXT,
    note TEXT,
    entered_by TEXT NOT NULL,
    entered_at TIMESTAMP NOT NULL
);
CREATE INDEX case_steps_case ON case_steps (case_id, entered_at);

CREATE TABLE exclusions (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    condition TEXT NOT NULL,
    evidence TEXT NOT NULL,
    recorded_on DATE NOT NULL,
    recorded_by TEXT NOT NULL,
    approved_by TEXT,
    approval_reason TEXT,
    approved_at TIMESTAMP,
    lifted_by TEXT,
    lift_reason TEXT,
    lifted_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX exclusions_household ON exclusions (household_id);

CREATE TABLE spot_checks (
    id TEXT PRIMARY KEY NOT NULL,
    division_code TEXT NOT NULL,
    params_json TEXT NOT NULL,
    seed BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE spot_check_items (
    id TEXT PRIMARY KEY NOT NULL,
    spot_check_id TEXT NOT NULL REFERENCES spot_checks (id),
    household_id TEXT NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    fully_surveyed BOOLEAN NOT NULL,
    identification_correct BOOLEAN,
    data_correct BOOLEAN,
    note TEXT,
    checked_at TIMESTAMP,
    UNIQUE (spot_check_id, household_id)
);
