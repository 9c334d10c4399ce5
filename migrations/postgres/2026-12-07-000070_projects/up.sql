-- Assistance projects 项目管理: a project of one or more villages of a county, its investment
-- in fen (the parts sum to the total), and the households that benefit.
CREATE TABLE projects (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    county_code TEXT NOT NULL,
    category TEXT NOT NULL,
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    status TEXT NOT NULL,
    start_date DATE,
    end_date DATE,
    total_fen BIGINT NOT NULL,
    central_fen BIGINT NOT NULL,
    provincial_fen BIGINT NOT NULL,
    county_fen BIGINT NOT NULL,
    other_fen BIGINT NOT NULL,
    description TEXT,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX projects_county ON projects (county_code, year);

-- The villages of a project (scope: a project is seen where one of its villages is).
CREATE TABLE project_villages (
    project_id TEXT NOT NULL REFERENCES projects (id),
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    PRIMARY KEY (project_id, village_code)
);
CREATE INDEX project_villages_village ON project_villages (village_code);
CREATE INDEX project_villages_township ON project_villages (township_code);

-- Households that benefit, with the benefit per household where known.
CREATE TABLE project_beneficiaries (
    project_id TEXT NOT NULL REFERENCES projects (id),
    household_id TEXT NOT NULL REFERENCES households (id),
    benefit_fen BIGINT,
    added_by TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, household_id)
);
CREATE INDEX project_beneficiaries_household ON project_beneficiaries (household_id);
