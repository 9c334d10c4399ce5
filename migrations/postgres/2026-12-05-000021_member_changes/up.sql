-- Members' natural increase and decrease 自然增减 (issue 18): why and when a member joined
-- (出生, 嫁入, 迁入, 其他) and the day they left (the reason is removed_reason, 判刑收监 added to
-- its values); a member recorded without an ID number 无户籍人口 has a reason instead of one, so
-- the number's sealed text and keyed hash become nullable. The uniqueness of current numbers is
-- kept: NULLs never clash.
ALTER TABLE members ALTER COLUMN id_number_enc DROP NOT NULL;
ALTER TABLE members ALTER COLUMN id_number_hmac DROP NOT NULL;
ALTER TABLE members ADD COLUMN no_id_reason TEXT;
ALTER TABLE members ADD COLUMN join_reason TEXT;
ALTER TABLE members ADD COLUMN joined_on DATE;
ALTER TABLE members ADD COLUMN left_on DATE;
-- Members removed before the leave date was asked for left on the day of their removal (Beijing time).
UPDATE members SET left_on = CAST(removed_at + INTERVAL '8 hours' AS DATE) WHERE removed_at IS NOT NULL;
-- The natural-change ledger 自然增减台账 reads joins and leaves by date.
CREATE INDEX members_joined_on ON members (joined_on) WHERE joined_on IS NOT NULL;
CREATE INDEX members_left_on ON members (left_on) WHERE left_on IS NOT NULL;
