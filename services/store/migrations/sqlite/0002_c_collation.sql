-- PostgreSQL's 0002 switches the observation key columns to byte-order collation; SQLite
-- already compares TEXT with BINARY collation, so nothing changes here (kept so both backends
-- share one migration history).
SELECT 1;
