ALTER TABLE cases DROP COLUMN screening_criterion;
ALTER TABLE cases DROP COLUMN screening_year;
