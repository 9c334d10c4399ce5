-- Problems recorded by people (自查, 审计, 交叉检查/督查, 第三方评估, 信访/12317) in the ledger
-- beside the rules' ones (source cleaning), of a household or of a whole village, with their
-- rectification 整改: measure, responsible person, deadline, progress, evidence and sign-offs.
-- SQLite cannot drop a NOT NULL: the table is rebuilt.
CREATE TABLE problems_new (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT REFERENCES households (id),
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
    status_changed_by TEXT,
    source TEXT NOT NULL DEFAULT 'cleaning',
    category TEXT,
    guarantee TEXT,
    found_by TEXT,
    found_on DATE,
    measure TEXT,
    responsible_user_id TEXT REFERENCES users (id),
    responsible_name TEXT
);
INSERT INTO problems_new (id, household_id, village_code, township_code, county_code, rule_id, subject, severity, detail, status, fingerprint, deadline, note, opened_run, last_run, resolved_run, version, created_at, status_changed_at, status_changed_by)
    SELECT id, household_id, village_code, township_code, county_code, rule_id, subject, severity, detail, status, fingerprint, deadline, note, opened_run, last_run, resolved_run, version, created_at, status_changed_at, status_changed_by FROM problems;
DROP TABLE problems;
ALTER TABLE problems_new RENAME TO problems;
CREATE INDEX problems_household ON problems (household_id, rule_id, subject);
CREATE INDEX problems_village ON problems (village_code, status);
CREATE INDEX problems_township ON problems (township_code, status);

-- Evidence of a problem: what was found (finding) or what shows it rectified (completion); a
-- photo of the household's pipeline now, a document of its file 一户一档 (kind document).
CREATE TABLE problem_evidence (
    id TEXT PRIMARY KEY NOT NULL,
    problem_id TEXT NOT NULL REFERENCES problems (id),
    kind TEXT NOT NULL,
    photo_id TEXT REFERENCES photos (id),
    -- a document of the household file (documents, a later migration): checked on writing
    document_id TEXT,
    purpose TEXT NOT NULL,
    progress_id TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX problem_evidence_problem ON problem_evidence (problem_id);

-- Progress notes of a rectification 整改进展, with their dates.
CREATE TABLE problem_progress (
    id TEXT PRIMARY KEY NOT NULL,
    problem_id TEXT NOT NULL REFERENCES problems (id),
    noted_on DATE NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX problem_progress_problem ON problem_progress (problem_id);

-- Sign-offs of a rectification: the village secretary 村支书 and the work-team leader 驻村工作队长,
-- their own account where they have one (signer_user_id), else their name as recorded.
CREATE TABLE problem_signoffs (
    id TEXT PRIMARY KEY NOT NULL,
    problem_id TEXT NOT NULL REFERENCES problems (id),
    role TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    signer_user_id TEXT REFERENCES users (id),
    recorded_by TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX problem_signoffs_role ON problem_signoffs (problem_id, role);

-- The daily rectification list 问题整改清单: one index range per bucket of a township.
DROP INDEX problems_township;
CREATE INDEX problems_township_deadline ON problems (township_code, status, deadline);
CREATE INDEX problems_township_changed ON problems (township_code, status, status_changed_at);
CREATE INDEX problems_township_created ON problems (township_code, created_at);
