DROP TABLE problems;
DROP TABLE quality_runs;
