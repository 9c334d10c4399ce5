-- Microcredit 小额信贷: loans of a household (scoped through the household), amounts in fen.
CREATE TABLE loans (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT UNIQUE,
    household_id TEXT NOT NULL REFERENCES households (id),
    lender TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    issued_on DATE NOT NULL,
    due_on DATE NOT NULL,
    extended_to DATE,
    purpose TEXT,
    interest_subsidy_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    repaid_on DATE,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX loans_household ON loans (household_id, issued_on);
