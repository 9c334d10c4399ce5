DROP TABLE campaign_schedules;
DROP INDEX case_steps_posted;
DROP INDEX case_steps_batch;
ALTER TABLE case_steps DROP COLUMN batch_id;
ALTER TABLE case_steps DROP COLUMN details;
ALTER TABLE cases DROP COLUMN return_reason;
