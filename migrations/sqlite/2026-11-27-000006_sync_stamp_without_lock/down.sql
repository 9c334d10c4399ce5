-- PostgreSQL's change numbers became transaction ids plus an offset (same folder name there).
-- SQLite has one writer at a time: its counter row stays, nothing changes here.
SELECT 1;
