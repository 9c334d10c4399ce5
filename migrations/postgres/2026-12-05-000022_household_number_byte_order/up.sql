-- The division export pages households in the byte order of their numbers (COLLATE "C", the
-- order the import reads its sheets in, whatever the database's collation): an index in that
-- order, so a page is an index range, not a sort of the whole county.
CREATE INDEX households_number_bytes ON households (number COLLATE "C");
