DROP TABLE household_number_counters;
