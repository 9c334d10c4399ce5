-- SQLite compares text byte by byte (BINARY) already: the unique index on households.number
-- serves the division export's order. Kept for the same migration names on both backends.
SELECT 1;
