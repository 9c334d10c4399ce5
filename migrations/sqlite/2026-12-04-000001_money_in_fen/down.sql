ALTER TABLE yearly_records ADD COLUMN per_capita_net_income DOUBLE PRECISION NOT NULL DEFAULT 0;
UPDATE yearly_records SET per_capita_net_income = per_capita_net_income_fen / 100.0;
ALTER TABLE yearly_records DROP COLUMN per_capita_after_rigid_expenses_fen;
ALTER TABLE yearly_records DROP COLUMN per_capita_net_income_fen;
