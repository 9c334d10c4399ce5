DROP TABLE migrant_work;
