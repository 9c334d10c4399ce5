DROP INDEX members_left_on;
DROP INDEX members_joined_on;
-- Members without an ID number cannot be kept by the older schema.
DELETE FROM members WHERE id_number_enc IS NULL OR id_number_hmac IS NULL;
ALTER TABLE members DROP COLUMN left_on;
ALTER TABLE members DROP COLUMN joined_on;
ALTER TABLE members DROP COLUMN join_reason;
ALTER TABLE members DROP COLUMN no_id_reason;
ALTER TABLE members ALTER COLUMN id_number_hmac SET NOT NULL;
ALTER TABLE members ALTER COLUMN id_number_enc SET NOT NULL;
