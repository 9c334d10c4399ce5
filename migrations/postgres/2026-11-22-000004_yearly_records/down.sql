DROP TABLE yearly_records;
