DROP INDEX households_number_bytes;
