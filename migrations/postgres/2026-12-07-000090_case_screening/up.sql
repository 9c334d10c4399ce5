-- A case opened from the year's risk screening 集中摸排 names the screening year and the criterion that
-- proposed it.
ALTER TABLE cases ADD COLUMN screening_year INTEGER;
ALTER TABLE cases ADD COLUMN screening_criterion TEXT;
