-- The last household number handed out per village (户编号 = village code + 4 digits): taken
-- and raised inside the creating transaction, so concurrent creates never pick the same one.
CREATE TABLE household_number_counters (
    village_code TEXT PRIMARY KEY NOT NULL,
    last_sequence BIGINT NOT NULL
);
