-- PostgreSQL's 0003 drops the per-row foreign-key check of observations.dataset_id, which more
-- than doubled COPY time there. On SQLite the check is a cheap lookup in the same transaction and
-- dropping it would mean rebuilding the table, so it stays (kept so both backends share one
-- migration history).
SELECT 1;
