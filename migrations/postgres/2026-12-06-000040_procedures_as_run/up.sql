-- Procedures as the counties run them (issue 19): the 返贫原因 of a re-inclusion, what a step
-- carries besides its date and outcome (home-visit collectors and 代签人, spot-check inspectors,
-- the eligibility found at an exit's evaluation and a county override), the village batch a
-- step was applied in, and the county's campaign schedule. Existing rows stay readable: every
-- new column is nullable.
ALTER TABLE cases ADD COLUMN return_reason TEXT;
ALTER TABLE case_steps ADD COLUMN details TEXT;
ALTER TABLE case_steps ADD COLUMN batch_id TEXT;
CREATE INDEX case_steps_batch ON case_steps (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX case_steps_posted ON case_steps (step, step_date);

CREATE TABLE campaign_schedules (
    id TEXT PRIMARY KEY NOT NULL,
    county_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    collection_by DATE NOT NULL,
    evaluation_by DATE NOT NULL,
    entry_by DATE NOT NULL,
    acceptance_by DATE NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX campaign_schedules_county_year ON campaign_schedules (county_code, year);
