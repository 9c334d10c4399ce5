-- The household's profile (识别年度, 纳入监测时间, 脱贫年度, 风险消除, 返贫原因, status flags): one
-- versioned JSON document, checked by src/domain/household_profile.rs.
ALTER TABLE households ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
