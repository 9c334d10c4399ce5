ALTER TABLE households DROP COLUMN profile;
