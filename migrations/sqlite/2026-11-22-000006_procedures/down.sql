DROP TABLE spot_check_items;
DROP TABLE spot_checks;
DROP TABLE exclusions;
DROP TABLE case_steps;
DROP TABLE cases;
ALTER TABLE households DROP COLUMN risk_types;
ALTER TABLE households DROP COLUMN risk_status;
