-- Money is exact (issue 18): per-capita income as whole fen 分 (BIGINT), no binary float;
-- the record's income parts rounded to the fen (their JSON numbers are read from their text,
-- and a third decimal would be refused). Records before rigid expenses 刚性支出 have none, so
-- the income after them is the net income.
ALTER TABLE yearly_records ADD COLUMN per_capita_net_income_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE yearly_records ADD COLUMN per_capita_after_rigid_expenses_fen BIGINT NOT NULL DEFAULT 0;
UPDATE yearly_records SET
    record_json = json_set(record_json,
        '$.income.wages', round(json_extract(record_json, '$.income.wages'), 2),
        '$.income.production', round(json_extract(record_json, '$.income.production'), 2),
        '$.income.production_costs', round(json_extract(record_json, '$.income.production_costs'), 2),
        '$.income.property', round(json_extract(record_json, '$.income.property'), 2),
        '$.income.transfers', round(json_extract(record_json, '$.income.transfers'), 2)),
    per_capita_net_income_fen = CAST(round(per_capita_net_income * 100) AS INTEGER),
    per_capita_after_rigid_expenses_fen = CAST(round(per_capita_net_income * 100) AS INTEGER);
ALTER TABLE yearly_records DROP COLUMN per_capita_net_income;
-- A village's collective income 村集体经济收入 the same way (natural villages have none).
UPDATE village_years SET record_json = json_replace(record_json, '$.collective_income', round(json_extract(record_json, '$.collective_income'), 2))
    WHERE json_type(record_json, '$.collective_income') IN ('integer', 'real');
