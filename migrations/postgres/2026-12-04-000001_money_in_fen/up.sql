-- Money is exact (issue 18): per-capita income as whole fen 分 (BIGINT), no binary float;
-- the record's income parts rounded to the fen (their JSON numbers are read from their text,
-- and a third decimal would be refused). Records before rigid expenses 刚性支出 have none, so
-- the income after them is the net income.
ALTER TABLE yearly_records ADD COLUMN per_capita_net_income_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE yearly_records ADD COLUMN per_capita_after_rigid_expenses_fen BIGINT NOT NULL DEFAULT 0;
UPDATE yearly_records SET
    record_json = (jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(record_json::jsonb, '{income,wages}', to_jsonb(round((record_json::jsonb #>> '{income,wages}')::numeric, 2))), '{income,production}', to_jsonb(round((record_json::jsonb #>> '{income,production}')::numeric, 2))), '{income,production_costs}', to_jsonb(round((record_json::jsonb #>> '{income,production_costs}')::numeric, 2))), '{income,property}', to_jsonb(round((record_json::jsonb #>> '{income,property}')::numeric, 2))), '{income,transfers}', to_jsonb(round((record_json::jsonb #>> '{income,transfers}')::numeric, 2))))::text,
    per_capita_net_income_fen = round(per_capita_net_income::numeric * 100)::bigint,
    per_capita_after_rigid_expenses_fen = round(per_capita_net_income::numeric * 100)::bigint;
ALTER TABLE yearly_records DROP COLUMN per_capita_net_income;
-- A village's collective income 村集体经济收入 the same way (natural villages have none).
UPDATE village_years SET record_json = jsonb_set(record_json::jsonb, '{collective_income}', to_jsonb(round((record_json::jsonb ->> 'collective_income')::numeric, 2)), false)::text
    WHERE jsonb_typeof(record_json::jsonb -> 'collective_income') = 'number';
