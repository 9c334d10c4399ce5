CREATE TABLE yearly_records (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    year INTEGER NOT NULL,
    record_json TEXT NOT NULL,
    per_capita_net_income DOUBLE PRECISION NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (household_id, year)
);
