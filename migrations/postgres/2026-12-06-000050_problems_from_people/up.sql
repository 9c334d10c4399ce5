-- Problems recorded by people (自查, 审计, 交叉检查/督查, 第三方评估, 信访/12317) in the ledger
-- beside the rules' ones (source cleaning), of a household or of a whole village, with their
-- rectification 整改: measure, responsible person, deadline, progress, evidence and sign-offs.
ALTER TABLE problems ALTER COLUMN household_id DROP NOT NULL;
ALTER TABLE problems ADD COLUMN source TEXT NOT NULL DEFAULT 'cleaning';
ALTER TABLE problems ADD COLUMN category TEXT;
ALTER TABLE problems ADD COLUMN guarantee TEXT;
ALTER TABLE problems ADD COLUMN found_by TEXT;
ALTER TABLE problems ADD COLUMN found_on DATE;
ALTER TABLE problems ADD COLUMN measure TEXT;
ALTER TABLE problems ADD COLUMN responsible_user_id TEXT REFERENCES users (id);
ALTER TABLE problems ADD COLUMN responsible_name TEXT;

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
